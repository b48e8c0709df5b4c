/**
 * SAML 2.0 sign-in (service provider side). The identity provider signs who a
 * person is and which groups they are in; node-saml verifies that signature
 * (never by hand) and this module adds the checks it leaves out (recipient,
 * injected clock, replayed assertion IDs), maps IdP groups to Warden groups
 * and issues a short-lived Warden token, so every listener keeps accepting
 * one kind of credential.
 */
export { createSamlLogin, samlFromConfig } from './service.ts';
export type { SamlLoggedIn, SamlLogin, SamlSettings } from './types.ts';
