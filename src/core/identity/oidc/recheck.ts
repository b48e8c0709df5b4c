import type { Logger } from 'pino';
import * as oidc from 'openid-client';
import { WardenError } from '../../errors.ts';
import type { AuditLog } from '../../audit/log.ts';
import type { Vault } from '../../vault/types.ts';
import type { GroupRecheck } from '../authenticate.ts';
import type { TokenDeps } from '../tokens.ts';
import type { Identity } from '../types.ts';
import { oidcError } from './errors.ts';
import { mapGroups } from './groups.ts';
import { idpGroups } from './idp-groups.ts';
import type { OidcSettings } from './types.ts';
import type { IdpBindingRepo } from './web-types.ts';

export interface RecheckDeps extends TokenDeps {
  configuration: () => Promise<oidc.Configuration>;
  vault: Vault;
  idpBindings: IdpBindingRepo;
  log: Logger;
  audit?: AuditLog;
}

/**
 * Removed IdP groups take effect before the Warden token expires: a token
 * from an IdP login that brought a refresh token is re-checked at the IdP
 * once `refreshGroupsEvery` has passed (on the injected clock), when it is
 * next presented — at a session start or an API call, never per statement.
 * The refresh's groups replace the user's groups (as a new login would).
 *
 * fail closed: a refresh the IdP refuses (token revoked, user disabled or
 * removed, a different subject) revokes the Warden token; an IdP that cannot
 * be reached denies this use and retries on the next one.
 */
export function createGroupRecheck(settings: OidcSettings, deps: RecheckDeps): GroupRecheck {
  const every = settings.refreshGroupsEvery;
  return {
    async check(identity: Identity): Promise<Identity> {
      // Only OIDC sign-ins have a refresh token bound to them: other tokens skip the store lookup.
      if (every <= 0 || identity.tokenSource !== 'oidc') return identity;
      const binding = await deps.idpBindings.byTokenId(identity.tokenId);
      if (binding === undefined) return identity;
      const now = deps.clock.now();
      if (now.getTime() < binding.nextCheckAt.getTime()) return identity;
      const next = new Date(now.getTime() + every);
      // Another replica (or request) won the claim and is refreshing now; this use goes on with the groups stored.
      if (!(await deps.idpBindings.claim(binding.tokenId, binding.nextCheckAt, next))) return identity;
      let groups: string[];
      try {
        const c = await deps.configuration();
        const tokens = await oidc.refreshTokenGrant(c, deps.vault.open(binding.sealedRefreshToken)).catch((err: unknown) => {
          throw oidcError(err, settings.issuer);
        });
        const claims = tokens.claims();
        if (claims !== undefined && claims.sub !== binding.subject) {
          throw new WardenError('access_denied', 'the identity provider answered the refresh for a different subject');
        }
        // Without a new ID token, userinfo is the only source of current groups.
        const from = claims === undefined ? { ...settings, groupsFrom: 'userinfo' as const } : settings;
        groups = await idpGroups(c, from, claims === undefined ? { sub: binding.subject } : { ...claims }, tokens.access_token);
        if (tokens.refresh_token !== undefined) await deps.idpBindings.replaceRefreshToken(binding.tokenId, deps.vault.seal(tokens.refresh_token));
      } catch (err) {
        const e = err instanceof WardenError ? err : oidcError(err, settings.issuer);
        if (e.kind === 'upstream_unavailable') {
          // Retry on the next use rather than wait another interval.
          await deps.idpBindings.claim(binding.tokenId, next, now);
          deps.log.warn({ user: identity.user.name, token: identity.tokenId, err: e.message }, 'oidc group re-check: identity provider unreachable; access refused until it answers');
          throw new WardenError('access_denied', `cannot re-check your groups at the identity provider (${e.message}); try again shortly`);
        }
        await deps.tokens.revoke(binding.tokenId, now);
        await deps.idpBindings.remove(binding.tokenId);
        deps.log.warn({ user: identity.user.name, token: identity.tokenId, err: e.message, cause: e.cause }, 'oidc group re-check refused at the identity provider; warden token revoked');
        await deps.audit?.record({ type: 'token.revoked', outcome: 'success', actor: identity.user.name, subject: binding.tokenId, detail: { reason: 'identity provider refused the group re-check', error: e.message.slice(0, 300) } });
        throw new WardenError('access_denied', 'your sign-in was withdrawn at the identity provider; sign in again', { cause: { reason: 'idp_refresh_refused' } });
      }
      const mapped = mapGroups(groups, settings.groupMap);
      const user = (await deps.users.update(identity.user.id, { groups: mapped })) ?? identity.user;
      if (mapped.join(',') !== identity.user.groups.join(',')) {
        deps.log.info({ user: user.name, before: identity.user.groups, after: mapped, idpGroups: groups }, 'oidc group re-check changed groups');
        await deps.audit?.record({ type: 'user.updated', outcome: 'success', actor: user.name, subject: user.name, detail: { reason: 'oidc group re-check', before: identity.user.groups, after: mapped } });
      }
      return { ...identity, user };
    },
  };
}
