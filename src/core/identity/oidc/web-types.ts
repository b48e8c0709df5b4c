import type { User } from '../types.ts';

/**
 * The state of one browser sign-in between the redirect to the IdP and the
 * callback. Kept in the store (not in memory) so the callback may land on any
 * replica; taken exactly once, so a state (and its PKCE verifier) cannot be
 * replayed.
 */
export interface LoginState {
  /** The `state` parameter: random, the row's key. */
  state: string;
  /** The PKCE code verifier, sealed with the vault: it is a secret until used. */
  sealedVerifier: string;
  nonce: string;
  /** Where to send the browser after sign-in: a relative path (checked before it is stored). */
  next: string;
  expiresAt: Date;
}

export interface LoginStateRepo {
  create(s: LoginState): Promise<void>;
  /** Deletes and returns the state; undefined when unknown or already taken (one use only, also across replicas). */
  take(state: string): Promise<LoginState | undefined>;
  /** Drops states past their expiry; returns how many. */
  purgeExpired(now: Date): Promise<number>;
}

/** The IdP refresh token behind one Warden token, for the periodic group re-check. */
export interface IdpBinding {
  tokenId: string;
  userId: string;
  /** The IdP's subject, which every refreshed answer must still name. */
  subject: string;
  /** Sealed with the vault; never logged. */
  sealedRefreshToken: string;
  /** When the groups are next re-read at the IdP. */
  nextCheckAt: Date;
}

export interface IdpBindingRepo {
  save(b: IdpBinding): Promise<void>;
  byTokenId(tokenId: string): Promise<IdpBinding | undefined>;
  /**
   * Compare-and-set on `nextCheckAt`: moves it to `next` only if it still is
   * `expected`, so of several replicas seeing a due check exactly one refreshes
   * (refresh tokens may rotate: a second refresh with the old one would fail).
   */
  claim(tokenId: string, expected: Date, next: Date): Promise<boolean>;
  /** Stores a rotated refresh token. */
  replaceRefreshToken(tokenId: string, sealedRefreshToken: string): Promise<void>;
  remove(tokenId: string): Promise<void>;
}

/** A finished browser sign-in. */
export interface WebLoggedIn {
  token: string;
  user: User;
  expiresAt: Date;
  idpGroups: string[];
  /** The relative path the sign-in was started for. */
  next: string;
}

/** OIDC authorization code + PKCE for browsers; built by `createOidcWebLogin`. */
export interface OidcWebLogin {
  /** The IdP URL to send the browser to; `next` must already be a safe relative path. */
  start(next: string): Promise<string>;
  /**
   * The IdP sent the browser back to the redirect URI with this query.
   * Throws WardenError: `bad_request` (unknown/expired/used state, IdP error in the query),
   * `access_denied` (ID token, nonce or PKCE checks failed; code refused), `upstream_unavailable`.
   */
  callback(query: URLSearchParams): Promise<WebLoggedIn>;
}
