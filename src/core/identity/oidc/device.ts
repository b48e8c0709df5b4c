import * as oidc from 'openid-client';
import type { Clock } from '../../clock.ts';
import { WardenError } from '../../errors.ts';
import { oidcError } from './errors.ts';
import type { DeviceStart, OidcSettings } from './types.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface DeviceClientDeps {
  clock: Clock;
  /** The client secret (already read from `clientSecretEnv`); empty for a public client. */
  clientSecret: string;
  /** Replaces global fetch for every IdP request (proxies, tests). */
  fetch?: oidc.CustomFetch;
}

/** One poll at the IdP: pending, or the validated ID token claims. */
export type DeviceGrant = { status: 'pending'; slowDown: boolean } | { status: 'complete'; claims: Record<string, unknown> };

/**
 * The device authorization grant at the IdP, through openid-client: discovery
 * (retried on the next call after a failure), JWKS caching, and ID token
 * checks of issuer, audience, expiry and — with non-repudiation checks on —
 * the signature against the IdP's JWKS. Each poll is one token request, so the
 * gateway keeps no state between polls and any replica can answer.
 */
export function createDeviceClient(settings: OidcSettings, deps: DeviceClientDeps) {
  let config: Promise<oidc.Configuration> | undefined;

  const configuration = (): Promise<oidc.Configuration> => {
    config ??= discover(settings, deps).catch((err: unknown) => {
      config = undefined;
      throw oidcError(err, settings.issuer);
    });
    return config;
  };

  return {
    async start(): Promise<DeviceStart> {
      const c = await configuration();
      try {
        const r = await oidc.initiateDeviceAuthorization(c, { scope: settings.scope });
        return {
          userCode: r.user_code,
          verificationUri: r.verification_uri,
          ...(r.verification_uri_complete === undefined ? {} : { verificationUriComplete: r.verification_uri_complete }),
          deviceCode: r.device_code,
          interval: r.interval ?? 5,
          expiresIn: r.expires_in,
        };
      } catch (err) {
        throw oidcError(err, settings.issuer);
      }
    },

    async poll(deviceCode: string): Promise<DeviceGrant> {
      const c = await configuration();
      let tokens: Awaited<ReturnType<typeof oidc.genericGrantRequest>>;
      try {
        tokens = await oidc.genericGrantRequest(c, DEVICE_GRANT, { device_code: deviceCode });
      } catch (err) {
        if (err instanceof oidc.ResponseBodyError && (err.error === 'authorization_pending' || err.error === 'slow_down')) {
          return { status: 'pending', slowDown: err.error === 'slow_down' };
        }
        throw oidcError(err, settings.issuer);
      }
      const claims = tokens.claims();
      // fail closed: without an ID token there is nothing validated to say who this is.
      if (claims === undefined) {
        throw new WardenError('access_denied', `the identity provider returned no ID token; an admin should make sure identity.oidc.scope includes "openid"`);
      }
      return { status: 'complete', claims: { ...claims } };
    },
  };
}

async function discover(settings: OidcSettings, deps: DeviceClientDeps): Promise<oidc.Configuration> {
  const issuer = new URL(settings.issuer);
  // Plain http only to the same machine (a local IdP, tests); anywhere else the ID token must travel over TLS.
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
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
