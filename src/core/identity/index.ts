/**
 * Identity: who is acting. Users and groups live in the store; Warden tokens
 * are minted and verified here (only hashes are stored). Every failure to
 * verify is an `access_denied` with the same message, so clients learn nothing.
 */
export { issueToken, verifyToken, hashSecret, tokenFailures, type TokenDeps, type TokenFailure } from './tokens.ts';
export { ensureBootstrapAdmin } from './users.ts';
export type { Identity, NewUser, Role, TokenRecord, TokenRepo, User, UserRepo } from './types.ts';
