import * as oidc from 'openid-client';
import { WardenError } from '../../errors.ts';
import type { Vault } from '../../vault/types.ts';
import type { TokenDeps } from '../tokens.ts';
import { oidcError } from './errors.ts';
import { idpGroups } from './idp-groups.ts';
import { completeOidcLogin } from './login.ts';
import { scopeFor } from './scope.ts';
import type { OidcSettings } from './types.ts';
import type { BindRefresh } from './service.ts';
import type { LoginStateRepo, OidcWebLogin } from './web-types.ts';

/** How long a person has at the IdP between the redirect and the callback. */
export const loginStateTtlMs = 10 * 60_000;

export interface WebLoginDeps extends TokenDeps {
  configuration: () => Promise<oidc.Configuration>;
  vault: Vault;
  loginStates: LoginStateRepo;
  bindRefresh: BindRefresh;
  /** The callback URL registered at the IdP (known once the API listens). */
  redirectUri: () => string;
}

/**
 * Authorization code + PKCE (S256) for browsers, through openid-client: the
 * state, nonce and sealed PKCE verifier wait in the store between the redirect
 * and the callback (any replica may answer either), and are taken exactly once.
 * The code exchange checks state, PKCE, and the ID token (issuer, audience,
 * expiry, nonce, signature); then `completeOidcLogin` as for the device flow,
 * with the browser session's shorter lifetime. When the IdP returns a refresh
 * token it is bound to the new Warden token for the group re-check.
 */
export function createOidcWebLogin(settings: OidcSettings, deps: WebLoginDeps): OidcWebLogin {
  return {
    async start(next) {
      const c = await deps.configuration();
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const now = deps.clock.now();
      await deps.loginStates.purgeExpired(now);
      await deps.loginStates.create({ state, nonce, next, sealedVerifier: deps.vault.seal(verifier), expiresAt: new Date(now.getTime() + loginStateTtlMs) });
      return oidc.buildAuthorizationUrl(c, {
        redirect_uri: deps.redirectUri(),
        scope: scopeFor(settings, c),
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).href;
    },

    async callback(query) {
      // The URL openid-client checks is the registered redirect URI with the query the IdP sent, whatever host the request came in on.
      const url = new URL(deps.redirectUri());
      url.search = query.toString();
      const state = url.searchParams.get('state') ?? '';
      // fail closed: a state we did not hand out (or handed out and already used) ends here, before the code is spent.
      const saved = state === '' ? undefined : await deps.loginStates.take(state);
      if (saved === undefined) {
        throw new WardenError('bad_request', 'this sign-in is unknown, expired or already finished (state mismatch); start the sign-in again');
      }
      if (deps.clock.now().getTime() >= saved.expiresAt.getTime()) {
        throw new WardenError('bad_request', `the sign-in took longer than ${loginStateTtlMs / 60_000} minutes at the identity provider; start it again`);
      }
      const idpError = url.searchParams.get('error');
      if (idpError !== null) {
        const detail = url.searchParams.get('error_description') ?? idpError;
        throw new WardenError('access_denied', `the identity provider refused the sign-in (${detail.slice(0, 200)}); try again or ask your IdP admin`);
      }
      const c = await deps.configuration();
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(c, url, {
          pkceCodeVerifier: deps.vault.open(saved.sealedVerifier),
          expectedState: saved.state,
          expectedNonce: saved.nonce,
          idTokenExpected: true,
        }, { redirect_uri: deps.redirectUri() });
      } catch (err) {
        throw webError(err, settings.issuer);
      }
      const claims = tokens.claims();
      // fail closed: without an ID token there is nothing validated to say who this is.
      if (claims === undefined) throw new WardenError('access_denied', 'the identity provider returned no ID token; an admin should make sure identity.oidc.scope includes "openid"');
      const groups = await idpGroups(c, settings, { ...claims }, tokens.access_token);
      const done = await completeOidcLogin(deps, { ...settings, tokenTtlMs: settings.webSessionTtlMs }, { ...claims }, groups);
      if (tokens.refresh_token !== undefined) await deps.bindRefresh({ tokenId: done.tokenId, userId: done.user.id, subject: claims.sub, refreshToken: tokens.refresh_token });
      return { token: done.token, user: done.user, expiresAt: done.expiresAt, idpGroups: done.idpGroups, next: saved.next };
    },
  };
}

/** A refused code exchange in words for a browser user (the device-flow wording talks about `warden login`). */
function webError(err: unknown, issuer: string): WardenError {
  if (err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant') {
    return new WardenError('access_denied', 'the identity provider refused the sign-in code (already used, expired, or not issued for this sign-in); start the sign-in again', { cause: err });
  }
  const e = oidcError(err, issuer);
  if (e.kind === 'access_denied' && /warden login/.test(e.message)) {
    return new WardenError('access_denied', 'the sign-in could not be verified; start the sign-in again', { cause: err });
  }
  return e;
}
