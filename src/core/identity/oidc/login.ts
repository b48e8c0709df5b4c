import { WardenError } from '../../errors.ts';
import { newId } from '../../ids.ts';
import { issueToken, type TokenDeps } from '../tokens.ts';
import type { User } from '../types.ts';
import { claimGroups, mapGroups } from './groups.ts';
import type { OidcSettings } from './types.ts';

/** The same rule the API applies to user names: they appear in URLs and as psql user names. */
const userName = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$/;

/**
 * Turns validated ID token claims into a Warden user and a short-lived token:
 * creates the user (role `user`) on first login; on every login replaces the
 * user's groups with the ones this login brought, so a group removed at the
 * IdP is gone from the next token on.
 */
export async function completeOidcLogin(
  deps: TokenDeps,
  settings: Pick<OidcSettings, 'groupsClaim' | 'usernameClaim' | 'groupMap' | 'tokenTtlMs'>,
  claims: Record<string, unknown>,
): Promise<{ token: string; user: User; expiresAt: Date; idpGroups: string[] }> {
  const name = claims[settings.usernameClaim];
  // fail closed: no usable name, no user.
  if (typeof name !== 'string' || !userName.test(name)) {
    throw new WardenError('access_denied', `the ID token's "${settings.usernameClaim}" claim is missing or not a valid Warden user name; an admin should check identity.oidc.usernameClaim`);
  }
  const idpGroups = claimGroups(claims, settings.groupsClaim);
  const groups = mapGroups(idpGroups, settings.groupMap);
  let user = await deps.users.byName(name);
  if (user === undefined) {
    user = await deps.users.create({ id: newId('usr'), name, role: 'user', groups, createdAt: deps.clock.now() });
  } else {
    // fail closed: an IdP-chosen name must not take over a local admin or auditor account.
    if (user.role !== 'user') {
      throw new WardenError('access_denied', `user ${name} is a local ${user.role}; OIDC sign-in only creates and updates ordinary users. Ask an admin`);
    }
    if (user.disabledAt !== null) throw new WardenError('access_denied', `user ${name} is disabled in Warden; ask an admin`);
    user = (await deps.users.update(user.id, { groups })) ?? user;
  }
  const { token, record } = await issueToken(deps, user.id, { name: 'oidc-login', ttlMs: settings.tokenTtlMs });
  return { token, user, expiresAt: record.expiresAt ?? deps.clock.now(), idpGroups };
}
