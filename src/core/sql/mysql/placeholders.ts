/**
 * Where the `?` placeholders of a prepared MySQL statement are, as the
 * server's lexer reads them: not inside strings ('…', "…"), identifiers
 * (`…`) or comments (`-- `, `#`, `/* *\/`) — but inside executable comments
 * (`/*! … *\/`, `/*M! … *\/`), whose content is code. Used to show approvers a
 * statement with its bound values in place.
 */
export function placeholderOffsets(text: string): number[] {
  const out: number[] = [];
  let inExecutable = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === "'" || c === '"' || c === '`') i = closing(text, i, c);
    else if (c === '#' || (c === '-' && next === '-' && /[\s]/.test(text[i + 2] ?? '\n'))) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '/' && next === '*') {
      const m = /^\/\*(?:!|M!)\d*/.exec(text.slice(i, i + 12));
      if (m && !inExecutable) {
        inExecutable = true;
        i += m[0].length - 1;
      } else {
        const end = text.indexOf('*/', i + 2);
        i = end < 0 ? text.length : end + 1;
      }
    } else if (c === '*' && next === '/' && inExecutable) {
      inExecutable = false;
      i++;
    } else if (c === '?') out.push(i);
  }
  return out;
}

/** The index of the quote closing the one at `start` (doubled quotes and backslash escapes skipped); text.length when unterminated. */
function closing(text: string, start: number, q: string): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && q !== '`') i++;
    else if (c === q) {
      if (text[i + 1] === q) i++;
      else return i;
    }
  }
  return text.length;
}

/**
 * The statement with each placeholder replaced by its literal; undefined
 * when the count differs (fail closed: an approver must see what runs).
 */
export function inlineMysqlParameters(text: string, literals: readonly string[]): string | undefined {
  const at = placeholderOffsets(text);
  if (at.length !== literals.length) return undefined;
  let out = '';
  let from = 0;
  at.forEach((pos, i) => {
    out += text.slice(from, pos) + literals[i];
    from = pos + 1;
  });
  return out + text.slice(from);
}
