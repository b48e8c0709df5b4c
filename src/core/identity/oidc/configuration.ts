import * as oidc from 'openid-client';
import { WardenError } from '../../errors.ts';
import type { DeviceClientDeps } from './device.ts';
import { oidcError } from './errors.ts';
import type { OidcSettings } from './types.ts';
import { isLoopbackHost } from '../../loopback.ts';

/**
 * The IdP's configuration, discovered on first use and cached by the one who
 * holds the getter (the device flow; the browser sign-in and group re-check
 * share another); a failed discovery is retried on the next call.
 */
export function lazyConfiguration(settings: OidcSettings, deps: Pick<DeviceClientDeps, 'clock' | 'clientSecret' | 'fetch'>): () => Promise<oidc.Configuration> {
  let config: Promise<oidc.Configuration> | undefined;
  return () => {
    config ??= discover(settings, deps).catch((err: unknown) => {
      config = undefined;
      throw oidcError(err, settings.issuer);
    });
    return config;
  };
}

/** Discovery and client set-up: loopback-only plain http, the injected clock, client authentication, signature checks. */
export async function discover(settings: OidcSettings, deps: Pick<DeviceClientDeps, 'clock' | 'clientSecret' | 'fetch'>): Promise<oidc.Configuration> {
  const issuer = new URL(settings.issuer);
  // Plain http only to the same machine (a local IdP, tests); anywhere else the ID token must travel over TLS.
  const loopback = isLoopbackHost(issuer.hostname);
  if (issuer.protocol !== 'https:' && !loopback) {
    throw new WardenError('bad_request', `identity.oidc.issuer must be https:// (got ${settings.issuer}); plain http is allowed only for 127.0.0.1/localhost`);
  }
  const metadata: Partial<oidc.ClientMetadata> = {
    // ID token timestamps are checked against the injected clock, as an offset from the system clock.
    [oidc.clockSkew]: Math.round((deps.clock.now().getTime() - Date.now()) / 1000),
  };
  const auth = settings.clientSecretEnv === '' ? oidc.None() : oidc.ClientSecretBasic(deps.clientSecret);
  const c = await oidc.discovery(issuer, settings.clientId, metadata, auth, {
    ...(deps.fetch === undefined ? {} : { [oidc.customFetch]: deps.fetch }),
    ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
    timeout: 10,
  });
  // Verify the ID token's signature against the IdP's JWKS, not only its claims (the library skips it by default for direct token responses).
  oidc.enableNonRepudiationChecks(c);
  return c;
}
