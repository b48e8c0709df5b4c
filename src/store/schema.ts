import type { Generated } from 'kysely';

/**
 * The tables as Kysely sees them (camelCase here; snake_case in SQL through
 * CamelCasePlugin). Timestamps are `timestamptz` on PostgreSQL and ISO-8601
 * text on SQLite, so a column reads as Date or string: `codec.ts` converts.
 */
export type DbTime = Date | string;
/** int8 comes back from `pg` as a string to avoid precision loss. */
export type DbInt = number | string | bigint;

export interface UsersTable {
  id: string;
  name: string;
  role: string;
  /** JSON array of group names. */
  groups: string;
  createdAt: DbTime;
  disabledAt: DbTime | null;
}

export interface TokensTable {
  id: string;
  userId: string;
  name: string;
  /** Migration 0005: `admin`, `oidc` or `saml`. */
  source: Generated<string>;
  secretHash: string;
  createdAt: DbTime;
  expiresAt: DbTime | null;
  revokedAt: DbTime | null;
  lastUsedAt: DbTime | null;
}

export interface ConnectionsTable {
  id: string;
  name: string;
  type: string;
  host: string;
  port: number;
  database: string | null;
  username: string;
  sealedSecret: string | null;
  tls: string;
  /** JSON array of tags. */
  tags: string;
  agent: string | null;
  /** JSON array of expected SSH host keys / fingerprints (migration 0006); null = trust on first use. */
  hostKeys: string | null;
  /** 'agent' or null (migration 0007). */
  credentials: string | null;
  /** The agent group serving it, or null (migration 0010). */
  agentGroup: string | null;
  createdAt: DbTime;
}

export interface SessionsTable {
  id: string;
  userId: string;
  userName: string;
  connectionName: string;
  protocol: string;
  clientAddress: string;
  startedAt: DbTime;
  endedAt: DbTime | null;
  bytesFromClient: DbInt;
  bytesToClient: DbInt;
  statements: DbInt;
  endReason: string | null;
  /** The replica the session runs on (migration 0009); NULL before it. */
  replicaId: string | null;
}

/** One row per applied policy document (append-only); the highest id is current. */
export interface PolicyVersionsTable {
  id: Generated<DbInt>;
  yaml: string;
  updatedAt: DbTime;
  updatedBy: string;
}

export interface Database {
  users: UsersTable;
  tokens: TokensTable;
  connections: ConnectionsTable;
  sessions: SessionsTable;
  policyVersions: PolicyVersionsTable;
}

export const storeKinds = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof storeKinds)[number];
