import { WardenError } from '../../errors.ts';
import type { TokenDeps } from '../tokens.ts';
import { createDeviceClient, type DeviceClientDeps } from './device.ts';
import { completeOidcLogin } from './login.ts';
import type { OidcLogin, OidcSettings } from './types.ts';

/** The device flow end to end: start at the IdP, poll, and on success a Warden user and token. */
export function createOidcLogin(settings: OidcSettings, deps: TokenDeps & Omit<DeviceClientDeps, 'clock'>): OidcLogin {
  const device = createDeviceClient(settings, deps);
  return {
    startDevice: () => device.start(),
    async pollDevice(deviceCode) {
      const grant = await device.poll(deviceCode);
      if (grant.status === 'pending') return grant;
      return { status: 'complete', ...(await completeOidcLogin(deps, settings, grant.claims)) };
    },
  };
}

/** `createOidcLogin` from the config section, reading the client secret from the environment. */
export function oidcFromConfig(settings: OidcSettings, env: NodeJS.ProcessEnv, deps: TokenDeps & { fetch?: DeviceClientDeps['fetch'] }): OidcLogin {
  const secretEnv = settings.clientSecretEnv;
  const clientSecret = secretEnv === '' ? '' : (env[secretEnv] ?? '');
  // fail closed: a confidential client without its secret would fail every login later, obscurely; refuse to start instead.
  if (secretEnv !== '' && clientSecret === '') {
    throw new WardenError('bad_request', `identity.oidc.clientSecretEnv names ${secretEnv}, which is unset or empty; set it to the OIDC client secret`);
  }
  return createOidcLogin(settings, { ...deps, clientSecret });
}
