/**
 * IdP groups → Warden groups. Pure, so the mapping is unit-tested without an IdP.
 */

/**
 * The IdP groups in `claims[claimName]`: an array of strings, or one string.
 * Anything else (absent, a number, an array with non-strings) is no groups:
 * fail closed: an unreadable claim grants nothing rather than guessing.
 */
export function claimGroups(claims: Record<string, unknown>, claimName: string): string[] {
  const value = claims[claimName];
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return value.filter((v) => v !== '');
  return [];
}

/**
 * Warden groups for a login: the union of `groupMap[g]` for each IdP group g,
 * sorted and without duplicates. IdP groups missing from the map grant nothing,
 * so a new group at the IdP never widens access until an admin maps it.
 */
export function mapGroups(idpGroups: readonly string[], groupMap: Readonly<Record<string, readonly string[]>>): string[] {
  const out = new Set<string>();
  for (const g of idpGroups) {
    // Own properties only: a group named "constructor" or "__proto__" must not reach Object.prototype.
    if (!Object.hasOwn(groupMap, g)) continue;
    for (const w of groupMap[g] ?? []) out.add(w);
  }
  return [...out].sort();
}
