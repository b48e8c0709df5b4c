/**
 * OIDC sign-in. The identity provider says who a person is and which groups
 * they are in; this module checks that through openid-client (never by hand),
 * maps IdP groups to Warden groups, and issues a short-lived Warden token, so
 * every listener keeps accepting one kind of credential. Today: the device
 * authorization flow behind `warden login --oidc`, and authorization code +
 * PKCE for browsers (web-setup.ts) with the periodic IdP group re-check.
 */
export { createOidcLogin, oidcFromConfig } from './service.ts';
export { completeOidcLogin } from './login.ts';
export { oidcWebFromConfig } from './web-setup.ts';
export { claimGroups, mapGroups } from './groups.ts';
export type { DevicePoll, DeviceStart, OidcLogin, OidcSettings } from './types.ts';
export type { OidcWebLogin, WebLoggedIn } from './web-types.ts';
