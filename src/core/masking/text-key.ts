/**
 * A cache key for masking's per-statement facts (lineage, COPY format,
 * cursor names) that ignores literal values, so `… WHERE aid = 1` and
 * `… WHERE aid = 2` share one parse. Lineage never depends on a literal's
 * value, only on the statement's structure.
 *
 * Conservative on purpose: only plain numbers and standard `'…'` strings are
 * replaced, and only in texts without anything that could make a quote or
 * digit mean something else to the lexer — comments, double quotes, dollar
 * quotes, `$n` parameters, backslashes, and non-ASCII letters or NUL (the
 * `\w` below is ASCII: `tablé1` would lose its digit). Any such text is its own key. Two
 * texts share a key only when they differ in literal contents alone.
 */
const unsafe = /["$\\]|--|\/\*|[^\x01-\x7f]/;
const literals = /'(?:[^']|'')*'|(?<![\w.])\d+(?:\.\d+)?(?![\w.])/g;

export function literalFreeKey(text: string): string {
  if (unsafe.test(text)) return text;
  // The marker is not SQL-valid alone, so no real statement text equals a key of another one.
  return text.replace(literals, (m) => (m.startsWith("'") ? "'\u0000'" : '\u0000'));
}
