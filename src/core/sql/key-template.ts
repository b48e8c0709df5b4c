import type { ScanResult } from 'libpg-query';

/**
 * A statement key known without running the scanner again, for the one case that is
 * certain: a text that is a remembered text with other integers in the places where
 * PostgreSQL's scanner found integer constants that `normalize` replaced.
 *
 * pgbench, and any application sending SQL with inlined ids, sends the same text with a new
 * integer every time, and each one cost a WASM `normalize` (~5 µs, most of the gateway's JS per
 * simple-protocol statement). A template is made from a text `T`, its key `K = normalize(T)`
 * and `scan(T)`'s tokens, both PostgreSQL's own scanner: its *places* are the ICONST tokens
 * that K shows as `$n` — checked by walking T and K together, every other character equal —
 * whose neighbours are in the safe sets below. A text `T'` matches when it equals T outside
 * the places and has, in each place, 1–9 ASCII digits (no leading zero unless one digit).
 * Then `normalize(T') === K` for sure:
 *  - the scanner reads T' as T: the same characters up to each place; the character before
 *    a place (whitespace, an operator character, `(`, `,`, `[`) ends a token that cannot take
 *    a digit, and the one after it (whitespace, an operator character, `)`, `,`, `;`, `]`,
 *    the end) ends an integer of any digits — no `.`, `e`, `_`, letter or `x`/`o`/`b` that
 *    would make it a numeric, a hex/octal/binary integer or junk; ≤ 9 digits are always an
 *    ICONST (an int4), never an FCONST; after the place the scanner restarts in the same
 *    state on the same characters;
 *  - so the grammar sees the same token types and builds the same tree, with other integer
 *    values in the same A_Const nodes, which normalize replaces at the same places, numbered
 *    alike (the text's parameters are the same).
 * Anything else — another shape, a string or negative literal in a place, a non-ASCII text
 * (the scanner counts bytes), a text the scanner rejects — is not matched, and goes to
 * `normalize` as before. A miss costs a few character compares; never a wrong key.
 */
export class KeyTemplates {
  readonly #size: number;
  readonly #templates: Template[] = [];
  /** The last keys `normalize` gave, newest last: a template is made for a key seen twice. */
  readonly #recentKeys: string[] = [];
  #next = 0;

  /** Keeps up to `size` templates (one per statement shape), replaced oldest first. */
  constructor(size = 4) {
    this.#size = size;
  }

  /** K when `text` is a kept template's text with other integers in its places; else undefined. */
  match(text: string): string | undefined {
    for (const t of this.#templates) {
      if (matches(t, text)) return t.key;
    }
    return undefined;
  }

  /**
   * Tells the templates that `normalize(text)` gave `key`. When the same key came for another
   * text among the last few, a template is made from `text` (one `scan`): the shape repeats.
   */
  learn(text: string, key: string, scan: (text: string) => ScanResult): void {
    if (text.length > maxTemplateLength) return; // no template for it, and no long key kept
    const recent = this.#recentKeys;
    if (!recent.includes(key)) {
      recent.push(key);
      if (recent.length > this.#size * 2) recent.shift();
      return;
    }
    if (this.#templates.some((t) => t.key === key)) return;
    const made = makeTemplate(text, key, scan);
    if (made === undefined) return;
    if (this.#templates.length < this.#size) this.#templates.push(made);
    else {
      this.#templates[this.#next] = made;
      this.#next = (this.#next + 1) % this.#size;
    }
  }
}

interface Template {
  key: string;
  /** The text between the places: `fixed[0]`, place, `fixed[1]`, …, place, `fixed[n]`. */
  fixed: string[];
}

/** Texts longer than this make no template (memory stays bounded). */
const maxTemplateLength = 4096;
const ascii = /^[\x01-\x7f]*$/;
/** Characters that may come right before a place: whitespace, `(`, `,`, `[`, operator characters. */
const before = new Set(' \t\n\r(,[=<>+-*/%');
/** Characters that may come right after a place (or the end of the text). */
const after = new Set(' \t\n\r),;]=<>+-*/%');

/** A template for `text` (whose normalize gave `key`), or undefined when it has no safe place or does not align. */
export function makeTemplate(text: string, key: string, scan: (text: string) => ScanResult): Template | undefined {
  if (text.length > maxTemplateLength || !ascii.test(text)) return undefined;
  let tokens: ScanResult['tokens'];
  try {
    tokens = scan(text).tokens;
  } catch {
    return undefined;
  }
  const fixed: string[] = [];
  let i = 0; // in text
  let j = 0; // in key
  let from = 0; // where the current fixed part starts in text
  for (const tok of tokens ?? []) {
    if (tok.tokenName !== 'ICONST') continue;
    const s = tok.start;
    const e = tok.end;
    // Everything up to the integer is the same in text and key…
    if (!key.startsWith(text.slice(i, s), j)) return undefined;
    j += s - i;
    i = s;
    // …and the key shows it as `$n` (replaced) or as written (a type modifier: part of the fixed text).
    if (key.charCodeAt(j) !== 0x24) continue;
    let k = j + 1;
    while (k < key.length && isDigit(key.charCodeAt(k))) k++;
    if (k === j + 1) return undefined;
    const digits = text.slice(s, e);
    const safe = s > 0 && before.has(text[s - 1]!) && (e === text.length || after.has(text[e]!)) && isPlace(digits, 0, digits.length);
    if (!safe) return undefined; // replaced, but T' must then repeat it as written — not a template worth having
    fixed.push(text.slice(from, s));
    from = e;
    i = e;
    j = k;
  }
  if (fixed.length === 0 || key.slice(j) !== text.slice(i)) return undefined;
  fixed.push(text.slice(from));
  return { key, fixed };
}

// The fixed parts are compared as slices (`===` on two flat strings is a memory compare), ~3× faster
// than `startsWith(part, at)` or a charCodeAt loop on a pgbench text.
function matches(t: Template, text: string): boolean {
  const fixed = t.fixed;
  let at = 0;
  const last = fixed.length - 1;
  for (let p = 0; p < last; p++) {
    const part = fixed[p]!;
    if (text.slice(at, at + part.length) !== part) return false;
    at += part.length;
    let end = at;
    while (end < text.length && end - at < 10 && isDigit(text.charCodeAt(end))) end++;
    if (!isPlace(text, at, end)) return false;
    at = end;
  }
  const tail = fixed[last]!;
  return text.length - at === tail.length && text.slice(at) === tail;
}

/** `s[from, to)` is 1–9 digits without a leading zero (or one `0`). */
function isPlace(s: string, from: number, to: number): boolean {
  const n = to - from;
  if (n < 1 || n > 9) return false;
  if (n > 1 && s.charCodeAt(from) === 0x30) return false;
  for (let k = from; k < to; k++) if (!isDigit(s.charCodeAt(k))) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
