import type { WardenConfig } from '../../../config/schema.ts';
import type { User } from '../types.ts';

/** The `identity.saml` config section. */
export type SamlSettings = NonNullable<WardenConfig['identity']['saml']>;

/** A completed SAML sign-in. */
export interface SamlLoggedIn {
  token: string;
  user: User;
  expiresAt: Date;
  /** The groups the assertion carried, before mapping (for the log). */
  idpGroups: string[];
  /** The assertion's ID, now remembered so it cannot be used again. */
  assertionId: string;
}

/** SAML 2.0 SP sign-in as the API uses it; built by `createSamlLogin`. */
export interface SamlLogin {
  /** The IdP URL to send the browser to: an AuthnRequest (HTTP-Redirect binding) whose ID the ACS will expect. */
  loginUrl(relayState?: string): Promise<string>;
  /** This SP's own SAML metadata (EntityDescriptor with the ACS URL), for registering Warden at the IdP. */
  metadata(): string;
  /**
   * Validates a posted `SAMLResponse` (base64, HTTP-POST binding) and signs the
   * person in. Throws WardenError `access_denied` for anything wrong with the
   * response (signature, audience, recipient, time, replay, wrapping) and
   * `bad_request` for a body that is not a SAML response at all.
   */
  acs(samlResponse: string): Promise<SamlLoggedIn>;
}
