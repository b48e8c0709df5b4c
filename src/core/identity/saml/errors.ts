import { WardenError } from '../../errors.ts';

/**
 * node-saml failures → WardenError, in this one place. Everything node-saml
 * refuses is about what was posted, so it is `access_denied` with the reason
 * in words the person (or their admin) can act on; `cause` keeps the library
 * error for the log.
 */
export function samlError(err: unknown): WardenError {
  if (err instanceof WardenError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  const deny = (message: string) => new WardenError('access_denied', message, { cause: err });
  if (/multiple assertions/i.test(detail)) {
    return deny('the SAML response carries more than one assertion (a signature wrapping attempt, or a broken IdP); it was refused');
  }
  if (/signature|Cannot obtain assertion from signed data/i.test(detail)) {
    return deny(`the SAML response is not signed with the identity provider's certificate (${detail}); sign in again, and an admin should check identity.saml.idpCert if this repeats`);
  }
  if (/expired|not yet valid|No valid subject confirmation/i.test(detail)) {
    return deny(`the SAML assertion is outside its validity window (${detail}); sign in again, and check the IdP's and the gateway's clocks if this repeats`);
  }
  if (/audience/i.test(detail)) {
    return deny(`the SAML assertion is not meant for this gateway (${detail}); an admin should check identity.saml.audience and the SP entity id at the IdP`);
  }
  if (/InResponseTo/i.test(detail)) {
    return deny('the SAML response does not answer a sign-in this gateway started (it may be old or already used); start again at /api/v1/auth/saml/login');
  }
  if (/SAML provider returned/i.test(detail)) {
    return deny(`the identity provider refused the sign-in (${detail}); ask your IdP admin`);
  }
  // fail closed: an error we do not recognise (malformed XML, missing parts) grants nothing.
  return deny(`the SAML response could not be verified (${detail.slice(0, 200)}); sign in again`);
}
