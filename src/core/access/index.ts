/**
 * core/access: the single authorization flow every protocol calls. It alone
 * mints `AuthorizedTarget`, the value needed to open an upstream.
 */
export { authorizeSession, type Credentials } from './authorize.ts';
export { AuthorizedTarget, type TargetCredential } from './target.ts';
