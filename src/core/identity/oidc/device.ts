import * as oidc from 'openid-client';
import type { Clock } from '../../clock.ts';
import { WardenError } from '../../errors.ts';
import { lazyConfiguration } from './configuration.ts';
import { oidcError } from './errors.ts';
import { idpGroups } from './idp-groups.ts';
import { scopeFor } from './scope.ts';
import type { DeviceStart, OidcSettings } from './types.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface DeviceClientDeps {
  clock: Clock;
  /** The client secret (already read from `clientSecretEnv`); empty for a public client. */
  clientSecret: string;
  /** Replaces global fetch for every IdP request (proxies, tests). */
  fetch?: oidc.CustomFetch;
}

/** One poll at the IdP: pending, or the validated ID token claims, the IdP groups (see idp-groups.ts) and any refresh token. */
export type DeviceGrant =
  | { status: 'pending'; slowDown: boolean }
  | { status: 'complete'; claims: Record<string, unknown>; groups: string[]; refreshToken?: string };

/**
 * The device authorization grant at the IdP, through openid-client: discovery
 * (retried on the next call after a failure), JWKS caching, and ID token
 * checks of issuer, audience, expiry and — with non-repudiation checks on —
 * the signature against the IdP's JWKS. Each poll is one token request, so the
 * gateway keeps no state between polls and any replica can answer.
 */
export function createDeviceClient(settings: OidcSettings, deps: DeviceClientDeps) {
  const configuration = lazyConfiguration(settings, deps);

  return {
    async start(): Promise<DeviceStart> {
      const c = await configuration();
      try {
        const r = await oidc.initiateDeviceAuthorization(c, { scope: scopeFor(settings, c) });
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
      const groups = await idpGroups(c, settings, { ...claims }, tokens.access_token);
      return { status: 'complete', claims: { ...claims }, groups, ...(tokens.refresh_token === undefined ? {} : { refreshToken: tokens.refresh_token }) };
    },
  };
}
