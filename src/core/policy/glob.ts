/**
 * Shell-style globs (`*` any run, `?` one character), case-insensitive:
 * policy names (tables, functions, connections) are matched loosely so a
 * block rule cannot be dodged by quoting an identifier in another case.
 * File paths pass `caseSensitive` (see files.ts).
 */
export function globMatch(pattern: string, value: string, opts?: { caseSensitive?: boolean }): boolean {
  const p = opts?.caseSensitive ? pattern : pattern.toLowerCase();
  const v = opts?.caseSensitive ? value : value.toLowerCase();
  let pi = 0;
  let vi = 0;
  let star = -1;
  let mark = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = vi;
    } else if (star !== -1) {
      pi = star + 1;
      vi = ++mark;
    } else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

export const anyGlob = (patterns: readonly string[], value: string): boolean => patterns.some((p) => globMatch(p, value));
