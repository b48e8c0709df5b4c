import * as oidc from 'openid-client';
import { WardenError } from '../../errors.ts';
import { oidcError } from './errors.ts';
import { claimGroups } from './groups.ts';
import type { OidcSettings } from './types.ts';

/**
 * The IdP groups of one sign-in or refresh, read where `identity.oidc.groupsFrom`
 * says: the ID token, the userinfo endpoint (with the access token, through
 * openid-client, which checks the userinfo `sub` is the ID token's), or the
 * union of both. Some IdPs leave groups out of ID tokens (size limits), so
 * userinfo is the only place they appear.
 *
 * Throws WardenError when userinfo is asked for and cannot be read:
 * fail closed: groups we could not read must not silently become "none" on a
 * refresh and "whatever the ID token had" on a login.
 */
export async function idpGroups(
  config: oidc.Configuration,
  settings: Pick<OidcSettings, 'groupsClaim' | 'groupsFrom' | 'issuer'>,
  idToken: Record<string, unknown>,
  accessToken: string | undefined,
): Promise<string[]> {
  const fromToken = settings.groupsFrom === 'userinfo' ? [] : claimGroups(idToken, settings.groupsClaim);
  if (settings.groupsFrom === 'idToken') return fromToken;
  const sub = idToken.sub;
  if (accessToken === undefined || typeof sub !== 'string') {
    throw new WardenError('access_denied', 'the identity provider returned no access token to read userinfo groups with; an admin should check identity.oidc.groupsFrom');
  }
  let info: Record<string, unknown>;
  try {
    info = { ...(await oidc.fetchUserInfo(config, accessToken, sub)) };
  } catch (err) {
    throw oidcError(err, settings.issuer);
  }
  return [...new Set([...fromToken, ...claimGroups(info, settings.groupsClaim)])];
}
