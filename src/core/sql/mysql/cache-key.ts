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
  if (/\/\*|#|--|\\/.test(text)) return text;
  let out = '';
  let from = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === squote || c === dquote || c === backtick) {
      // Doubled quotes stay inside; an unterminated quote runs to the end.
      for (i++; i < n; i++) if (text.charCodeAt(i) === c && text.charCodeAt(++i) !== c) break;
      i--;
      continue;
    }
    if (c < zero || c > nine || isWordCharAt(text, i - 1)) continue;
    let end = i;
    while (end < n && isDigit(text.charCodeAt(end))) end++;
    // `1e5`, `0x1f`, `1.5`, `12abc` (an identifier in MySQL) are left alone, and so are integers
    // beyond 64 bits, which a parser might read differently from a small one.
    if (!isWordCharAt(text, end) && text.charCodeAt(end) !== dot && text.charCodeAt(i - 1) !== dot && end - i <= 18) {
      out += `${text.slice(from, i)}0`;
      from = end;
    }
    i = end - 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

const [squote, dquote, backtick, zero, nine, dot] = ["'", '"', '`', '0', '9', '.'].map((c) => c.charCodeAt(0)) as [number, number, number, number, number, number];
const isDigit = (c: number): boolean => c >= zero && c <= nine;

/** Whether the character at `i` (none outside the text) continues a word: a letter, digit, `_`, `$` or `@`. */
function isWordCharAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (Number.isNaN(c)) return false;
  // ASCII answered directly; anything else by the Unicode classes.
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || isDigit(c) || c === 0x5f || c === 0x24 || c === 0x40;
  return /[\p{L}\p{N}]/u.test(text[i]!);
}
