/**
 * The classification cache key of a MySQL text: integer literals replaced by
 * `0`, so `WHERE id = 1` and `WHERE id = 2` share one classification (and one
 * memoised verdict) instead of each being parsed again. No integer's value
 * changes how a statement is classified; string literals can (`SET sql_mode
 * = '…'`), so they stay. Only texts whose lexing cannot depend on server
 * settings are normalised: with a comment (executable comments carry
 * version numbers, and `--1` is not a comment) or a backslash (strings end
 * elsewhere under NO_BACKSLASH_ESCAPES) anywhere, the text is its own key.
 */
export function classificationKey(text: string): string {
  const scan = new KeyScan();
  scan.read(text);
  return scan.key();
}

/**
 * The integer literals of one text, found once (`read`) and built into its
 * key (`key`); a later text that is the same but for those integers is
 * known to share the key without scanning or building anything (`sameKey`):
 * each sysbench text differs from the last one in its id only, and the scan,
 * the key's two slices and concatenation, and the cache's flattening and
 * hashing of it cost ~150 ns per statement. Reused by its owner; not shared.
 */
export class KeyScan {
  /** Start and end of each literal replaced by `0`, in order; entries past `2 × #count` are stale. */
  readonly #runs: number[] = [];
  #count = 0;
  #text = '';

  /** Finds the literals of `text`, forgetting those of the text read before. */
  read(text: string): void {
    this.#text = text;
    this.#count = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === squote || c === dquote || c === backtick) {
        // Doubled quotes stay inside; an unterminated quote runs to the end.
        for (i++; i < n; i++) {
          const q = text.charCodeAt(i);
          if (q === c) {
            if (text.charCodeAt(i + 1) !== c) break;
            i++;
          } else if (lexedBySettings(text, i, q)) return this.#whole();
        }
        continue;
      }
      if (lexedBySettings(text, i, c)) return this.#whole();
      if (c < zero || c > nine || isWordCharAt(text, i - 1)) continue;
      let end = i;
      while (end < n && isDigit(text.charCodeAt(end))) end++;
      // `1e5`, `0x1f`, `1.5`, `12abc` (an identifier in MySQL) are left alone, and so are integers
      // beyond 64 bits, which a parser might read differently from a small one.
      if (!isWordCharAt(text, end) && text.charCodeAt(end) !== dot && text.charCodeAt(i - 1) !== dot && end - i <= 18) {
        this.#runs[2 * this.#count] = i;
        this.#runs[2 * this.#count + 1] = end;
        this.#count++;
      }
      i = end - 1;
    }
  }

  /** The text read is its own key: no literal is replaced. */
  #whole(): void {
    this.#count = 0;
  }

  /** The key of the text read last. */
  key(): string {
    const text = this.#text;
    if (this.#count === 0) return text;
    let out = '';
    let from = 0;
    for (let r = 0; r < 2 * this.#count; r += 2) {
      out += `${text.slice(from, this.#runs[r])}0`;
      from = this.#runs[r + 1]!;
    }
    return out + text.slice(from);
  }

  /**
   * Whether `text` has the key of the text read last because it is that text with other integers
   * (1 to 18 digits) in the places where that one's were replaced: up to each place both read the
   * same characters, so the scan decides alike, and after it too. One pass over `text`, nothing
   * built: the next sysbench statement is the last one with another id. False says nothing.
   */
  sameKey(text: string): boolean {
    const last = this.#text;
    let t = 0;
    let l = 0;
    for (let r = 0; r < 2 * this.#count; r += 2) {
      for (const start = this.#runs[r]!; l < start; l++, t++) if (text.charCodeAt(t) !== last.charCodeAt(l)) return false;
      const from = t;
      while (isDigit(text.charCodeAt(t))) t++;
      if (t === from || t - from > 18) return false;
      l = this.#runs[r + 1]!;
    }
    if (text.length - t !== last.length - l) return false;
    for (; l < last.length; l++, t++) if (text.charCodeAt(t) !== last.charCodeAt(l)) return false;
    return true;
  }
}

const [squote, dquote, backtick, zero, nine, dot, hash, slash, star, dash, backslash] = ["'", '"', '`', '0', '9', '.', '#', '/', '*', '-', '\\'].map((c) => c.charCodeAt(0)) as [number, number, number, number, number, number, number, number, number, number, number];

/**
 * Whether `c`, at `i`, starts a comment (`/*`, `#`, `--`) or is a backslash — anywhere, quoted or
 * not: where the server's settings or version could change how the text lexes, it is its own key.
 */
function lexedBySettings(text: string, i: number, c: number): boolean {
  return c === hash || c === backslash || (c === slash && text.charCodeAt(i + 1) === star) || (c === dash && text.charCodeAt(i + 1) === dash);
}
const isDigit = (c: number): boolean => c >= zero && c <= nine;

/** Whether the character at `i` (none outside the text) continues a word: a letter, digit, `_`, `$` or `@`. */
function isWordCharAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (Number.isNaN(c)) return false;
  // ASCII answered directly; anything else by the Unicode classes.
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || isDigit(c) || c === 0x5f || c === 0x24 || c === 0x40;
  return /[\p{L}\p{N}]/u.test(text[i]!);
}
