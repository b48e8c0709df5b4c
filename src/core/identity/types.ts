/**
 * Users, groups and tokens as the core sees them. The store implements the
 * repositories; `core/identity/tokens.ts` mints and verifies tokens.
 */
export const roles = ['admin', 'auditor', 'user'] as const;
export type Role = (typeof roles)[number];

export interface User {
  id: string;
  name: string;
  role: Role;
  groups: string[];
  createdAt: Date;
  disabledAt: Date | null;
}

export interface NewUser {
  name: string;
  role?: Role;
  groups?: string[];
}

/** Who minted a token: an admin through the API/CLI (and the bootstrap), or an IdP sign-in. */
export const tokenSources = ['admin', 'oidc', 'saml'] as const;
export type TokenSource = (typeof tokenSources)[number];

/** A token as stored: only the hash of its secret, never the secret itself. */
export interface TokenRecord {
  id: string;
  userId: string;
  name: string;
  /** Absent on records from before migration 0005 was written by this code: read as `admin`. */
  source?: TokenSource;
  secretHash: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface UserRepo {
  create(user: NewUser & { id: string; createdAt: Date }): Promise<User>;
  byId(id: string): Promise<User | undefined>;
  byName(name: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  update(id: string, patch: { role?: Role; groups?: string[]; disabledAt?: Date | null }): Promise<User | undefined>;
  /** Deletes the user and their tokens; false when there was no such user. */
  remove(id: string): Promise<boolean>;
}

export interface TokenRepo {
  create(token: TokenRecord): Promise<void>;
  byId(id: string): Promise<TokenRecord | undefined>;
  listForUser(userId: string): Promise<TokenRecord[]>;
  revoke(id: string, at: Date): Promise<boolean>;
  touch(id: string, at: Date): Promise<void>;
}

/** Who is acting, once a credential has been verified. */
export interface Identity {
  user: User;
  tokenId: string;
  /** Who minted the token, when a Warden token authenticated (absent for an SSH key login). */
  tokenSource?: TokenSource;
}
