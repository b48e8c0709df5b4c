import { ClientError, ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';
import { WardenError } from '../../errors.ts';

/**
 * openid-client failures → WardenError, in this one place. Network and
 * IdP-side failures are `upstream_unavailable`; anything wrong with what the
 * IdP sent about the person (signature, issuer, audience, expiry) is
 * `access_denied`. `cause` keeps the library error for the logs.
 */
export function oidcError(err: unknown, issuer: string): WardenError {
  if (err instanceof WardenError) return err;
  if (err instanceof ResponseBodyError) {
    switch (err.error) {
      case 'expired_token':
        return new WardenError('bad_request', 'the login code expired before it was confirmed; run `warden login --oidc` again', { cause: err });
      case 'access_denied':
        return new WardenError('access_denied', 'the sign-in was refused at the identity provider; run `warden login --oidc` again or ask your IdP admin', { cause: err });
      case 'invalid_grant':
        return new WardenError('bad_request', 'the identity provider does not know this login code (used already or never issued); run `warden login --oidc` again', { cause: err });
      case 'invalid_client':
      case 'unauthorized_client':
        return new WardenError('upstream_unavailable', `the identity provider ${issuer} refused the gateway's client (${err.error}); an admin should check identity.oidc.clientId and clientSecretEnv`, { cause: err });
      default:
        return new WardenError('upstream_unavailable', `the identity provider ${issuer} answered ${err.error}; try again or ask an admin`, { cause: err });
    }
  }
  if (err instanceof WWWAuthenticateChallengeError) {
    // A 401 challenge at the token or device endpoint: the IdP does not accept the gateway's client authentication.
    return new WardenError('upstream_unavailable', `the identity provider ${issuer} refused the gateway's client (HTTP ${err.status}); an admin should check identity.oidc.clientId and clientSecretEnv`, { cause: err });
  }
  if (err instanceof ClientError) {
    const code = err.code ?? '';
    // The library's own message is generic ("invalid response encountered"); the cause names the failed check.
    const detail = err.cause instanceof Error ? err.cause.message : err.message;
    // fail closed: any doubt about the ID token (claims, timestamps, signature, missing key) is a denial.
    if (/JWT|JWS|SIGNATURE|KEY|INVALID_RESPONSE|JSON_ATTRIBUTE/.test(code) || /signature|JWT|JWS/i.test(detail)) {
      return new WardenError('access_denied', `the identity provider's ID token failed validation (${detail}); sign in again, and tell an admin if this repeats`, { cause: err });
    }
  }
  const name = (err as { name?: string } | null)?.name ?? '';
  if (err instanceof TypeError || name === 'AbortError' || name === 'TimeoutError' || err instanceof ClientError) {
    return new WardenError('upstream_unavailable', `cannot reach the identity provider at ${issuer} (${(err as Error).message}); try again later or ask an admin`, { cause: err });
  }
  // fail closed: an error we do not recognise grants nothing.
  return new WardenError('access_denied', 'the sign-in could not be verified; run `warden login --oidc` again', { cause: err });
}
