/**
 * SAML 2.0 sign-in (service provider side). The identity provider signs who a
 * person is and which groups they are in; node-saml verifies that signature
 * (never by hand) and this module adds the checks it leaves out (recipient,
 * injected clock, replayed assertion IDs), maps IdP groups to Warden groups
 * and issues a short-lived Warden token, so every listener keeps accepting
 * one kind of credential.
 */
export { createSamlLogin, samlFromConfig, type ResolvedSamlSettings, type SamlDeps } from './service.ts';
export { loadIdpMetadata, parseIdpMetadata, type IdpMetadata } from './metadata.ts';
export { memorySamlState } from './replay.ts';
export type { SamlStateRepo } from './state.ts';
export type { SamlLoggedIn, SamlLogin, SamlSettings } from './types.ts';
