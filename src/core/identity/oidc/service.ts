import { WardenError } from '../../errors.ts';
import type { TokenDeps } from '../tokens.ts';
import { createDeviceClient, type DeviceClientDeps } from './device.ts';
import { completeOidcLogin } from './login.ts';
import type { OidcLogin, OidcSettings } from './types.ts';

/**
 * Keeps the IdP refresh token behind a new Warden token for the group
 * re-check (see web-setup.ts); absent: refresh tokens are dropped.
 */
export type BindRefresh = (login: { tokenId: string; userId: string; subject: string; refreshToken: string }) => Promise<void>;

/** The device flow end to end: start at the IdP, poll, and on success a Warden user and token. */
export function createOidcLogin(settings: OidcSettings, deps: TokenDeps & Omit<DeviceClientDeps, 'clock'> & { bindRefresh?: BindRefresh }): OidcLogin {
  const device = createDeviceClient(settings, deps);
  return {
    startDevice: () => device.start(),
    async pollDevice(deviceCode) {
      const grant = await device.poll(deviceCode);
      if (grant.status === 'pending') return grant;
      const done = await completeOidcLogin(deps, settings, grant.claims, grant.groups);
      if (grant.refreshToken !== undefined && typeof grant.claims.sub === 'string') {
        await deps.bindRefresh?.({ tokenId: done.tokenId, userId: done.user.id, subject: grant.claims.sub, refreshToken: grant.refreshToken });
      }
      return { status: 'complete', ...done };
    },
  };
}

/** `createOidcLogin` from the config section, reading the client secret from the environment. */
export function oidcFromConfig(settings: OidcSettings, env: NodeJS.ProcessEnv, deps: TokenDeps & { fetch?: DeviceClientDeps['fetch']; bindRefresh?: BindRefresh }): OidcLogin {
  const secretEnv = settings.clientSecretEnv;
  const clientSecret = secretEnv === '' ? '' : (env[secretEnv] ?? '');
  // fail closed: a confidential client without its secret would fail every login later, obscurely; refuse to start instead.
  if (secretEnv !== '' && clientSecret === '') {
    throw new WardenError('bad_request', `identity.oidc.clientSecretEnv names ${secretEnv}, which is unset or empty; set it to the OIDC client secret`);
  }
  return createOidcLogin(settings, { ...deps, clientSecret });
}
