import { WardenError } from '../../errors.ts';
import { completeIdpLogin, userNamePattern } from '../login.ts';
import type { TokenDeps } from '../tokens.ts';
import type { User } from '../types.ts';
import { claimGroups, mapGroups } from './groups.ts';
import type { OidcSettings } from './types.ts';

/**
 * Turns validated ID token claims into a Warden user and a short-lived token
 * (see `completeIdpLogin` for the user and group rules shared with SAML).
 */
export async function completeOidcLogin(
  deps: TokenDeps,
  settings: Pick<OidcSettings, 'groupsClaim' | 'usernameClaim' | 'groupMap' | 'tokenTtlMs'>,
  claims: Record<string, unknown>,
  /** The IdP groups when read elsewhere than the ID token (userinfo, see idp-groups.ts); default: the ID token's claim. */
  fromIdp?: string[],
): Promise<{ token: string; tokenId: string; user: User; expiresAt: Date; idpGroups: string[] }> {
  const name = claims[settings.usernameClaim];
  // fail closed: no usable name, no user.
  if (typeof name !== 'string' || !userNamePattern.test(name)) {
    throw new WardenError('access_denied', `the ID token's "${settings.usernameClaim}" claim is missing or not a valid Warden user name; an admin should check identity.oidc.usernameClaim`);
  }
  const idpGroups = fromIdp ?? claimGroups(claims, settings.groupsClaim);
  const groups = mapGroups(idpGroups, settings.groupMap);
  const done = await completeIdpLogin(deps, { source: 'oidc', name, groups, tokenTtlMs: settings.tokenTtlMs });
  return { ...done, idpGroups };
}
