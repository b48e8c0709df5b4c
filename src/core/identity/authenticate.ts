import { verifyToken, type TokenDeps } from './tokens.ts';
import type { Identity } from './types.ts';

/** A second look at a verified identity (the IdP group re-check); may refresh its groups or throw access_denied. */
export interface GroupRecheck {
  check(identity: Identity): Promise<Identity>;
}

/**
 * Where a presented Warden token becomes an identity at a session start or
 * an API call: `verifyToken`, then — for tokens from an IdP login — the
 * periodic group re-check, so removed IdP groups take effect. Statements
 * inside a session reuse the identity and never come here.
 */
export async function authenticate(deps: TokenDeps & { idpRecheck?: GroupRecheck }, presented: string, expectedUserName?: string): Promise<Identity> {
  const identity = await verifyToken(deps, presented, expectedUserName);
  return deps.idpRecheck === undefined ? identity : deps.idpRecheck.check(identity);
}
