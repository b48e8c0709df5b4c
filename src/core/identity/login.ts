import { WardenError } from '../errors.ts';
import { newId } from '../ids.ts';
import { issueToken, type TokenDeps } from './tokens.ts';
import type { User } from './types.ts';

/** The same rule the API applies to user names: they appear in URLs and as psql user names. */
export const userNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$/;

/** Who an identity provider vouched for: a user name and the Warden groups it maps to. */
export interface IdpLogin {
  /** Shown in errors and as the token's name (`<source>-login`). */
  source: 'oidc' | 'saml';
  name: string;
  groups: string[];
  tokenTtlMs: number;
}

/**
 * The part of every IdP sign-in after the IdP's answer is validated: creates
 * the user (role `user`) on first login; on every login replaces the user's
 * groups with the ones this login brought, so a group removed at the IdP is
 * gone from the next token on; then issues a short-lived Warden token.
 * Throws WardenError('access_denied') for a name that is not a valid Warden
 * user name, a local admin/auditor, or a disabled user.
 */
export async function completeIdpLogin(deps: TokenDeps, login: IdpLogin): Promise<{ token: string; tokenId: string; user: User; expiresAt: Date }> {
  const { name, groups, source } = login;
  const label = source.toUpperCase();
  // fail closed: no usable name, no user.
  if (!userNamePattern.test(name)) {
    throw new WardenError('access_denied', `the ${label} identity "${name.slice(0, 80)}" is not a valid Warden user name; an admin should map a different attribute`);
  }
  let user = await deps.users.byName(name);
  if (user === undefined) {
    user = await deps.users.create({ id: newId('usr'), name, role: 'user', groups, createdAt: deps.clock.now() });
  } else {
    // fail closed: an IdP-chosen name must not take over a local admin or auditor account.
    if (user.role !== 'user') {
      throw new WardenError('access_denied', `user ${name} is a local ${user.role}; ${label} sign-in only creates and updates ordinary users. Ask an admin`);
    }
    if (user.disabledAt !== null) throw new WardenError('access_denied', `user ${name} is disabled in Warden; ask an admin`);
    user = (await deps.users.update(user.id, { groups })) ?? user;
  }
  const { token, record } = await issueToken(deps, user.id, { name: `${source}-login`, ttlMs: login.tokenTtlMs, source });
  return { token, tokenId: record.id, user, expiresAt: record.expiresAt ?? deps.clock.now() };
}
