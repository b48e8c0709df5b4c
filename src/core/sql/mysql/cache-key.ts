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
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '`') {
      // Doubled quotes stay inside; an unterminated quote runs to the end.
      for (i++; i < text.length; i++) if (text[i] === c && text[++i] !== c) break;
      i--;
      continue;
    }
    if (c < '0' || c > '9' || isWordChar(text[i - 1])) continue;
    let end = i;
    while (end < text.length && text[end]! >= '0' && text[end]! <= '9') end++;
    // `1e5`, `0x1f`, `1.5`, `12abc` (an identifier in MySQL) are left alone, and so are integers
    // beyond 64 bits, which a parser might read differently from a small one.
    if (!isWordChar(text[end]) && text[end] !== '.' && text[i - 1] !== '.' && end - i <= 18) {
      out += `${text.slice(from, i)}0`;
      from = end;
    }
    i = end - 1;
  }
  return out + text.slice(from);
}

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}_$@]/u.test(c);
