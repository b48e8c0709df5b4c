/**
 * Persistence: Kysely over SQLite (one file, the default) or PostgreSQL
 * (shared by gateway replicas). Migrations run on open; the repositories
 * implement the ports `core/` declares, so the core never sees SQL.
 */
import { CamelCasePlugin, type Kysely } from 'kysely';
import type { ConnectionRepo } from '../core/connections/types.ts';
import { WardenError } from '../core/errors.ts';
import type { IdpBindingRepo, LoginStateRepo } from '../core/identity/oidc/web-types.ts';
import type { TokenRepo, UserRepo } from '../core/identity/types.ts';
import type { PolicyStoreRepo } from '../core/policy/service.ts';
import type { ReviewRepo } from '../core/review/types.ts';
import type { SessionRepo } from '../core/session/types.ts';
import type { SshKeyRepo } from '../core/identity/ssh-keys.ts';
import type { AgentRepo, ReplicaRepo } from '../tunnel/types.ts';
import type { AuditRepo } from '../core/audit/types.ts';
import type { SamlStateRepo } from '../core/identity/saml/state.ts';
import { SqlAgentRepo } from './agents.ts';
import { SqlAuditRepo } from './audit.ts';
import { codecFor } from './codec.ts';
import { SqlConnectionRepo } from './connections.ts';
import { migrateToLatest } from './migrate.ts';
import { SqlPolicyRepo } from './policy.ts';
import { SqlReplicaRepo } from './replicas.ts';
import { SqlReviewRepo } from './reviews.ts';
import type { Database, StoreKind } from './schema.ts';
import { SqlSamlStateRepo } from './saml.ts';
import { SqlSessionRepo } from './sessions.ts';
import { SqlSshKeyRepo } from './ssh-keys.ts';
import { openSqlite } from './sqlite.ts';
import { SqlTokenRepo } from './tokens.ts';
import { SqlUserRepo } from './users.ts';
import { SqlIdpBindingRepo, SqlLoginStateRepo } from './web-login.ts';

export type { StoreKind } from './schema.ts';

export interface Store {
  users: UserRepo;
  tokens: TokenRepo;
  connections: ConnectionRepo;
  sessions: SessionRepo;
  /** The policy rules applied through the API (append-only versions). */
  policy: PolicyStoreRepo;
  /** Just-in-time reviews (command reviews and access requests), shared by replicas. */
  reviews: ReviewRepo;
  /** Agents that dial out to the gateway (tunnel). */
  agents: AgentRepo;
  /** Running gateway replicas sharing this store (agents link to each). */
  replicas: ReplicaRepo;
  /** Users' SSH public keys (public-key login). */
  sshKeys: SshKeyRepo;
  /** Browser sign-ins between the redirect to the IdP and its callback. */
  loginStates: LoginStateRepo;
  /** IdP refresh tokens behind Warden tokens, for the group re-check. */
  idpBindings: IdpBindingRepo;
  /** The audit log (append-only). */
  audit: AuditRepo;
  /** SAML sign-in state shared by replicas: pending AuthnRequest IDs, used assertion IDs. */
  saml: SamlStateRepo;
  kind: StoreKind;
  /** Closes the SQLite file or the PostgreSQL pool; the repositories are unusable afterwards. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** '' = SQLite at `sqlitePath`; `postgres://…` (or `postgresql://…`) = PostgreSQL. */
  url: string;
  sqlitePath: string;
  /** PostgreSQL schema holding every table (created when missing). Ignored for SQLite. */
  pgSchema: string;
}

/** Opens the store and migrates it to the latest schema before returning. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  const kind = storeKind(opts.url);
  // The pg driver is imported only for a PostgreSQL store (megabytes a SQLite gateway need not load).
  const raw = kind === 'sqlite' ? openSqlite(opts.sqlitePath) : await (await import('./postgres.ts')).openPostgres(opts.url, opts.pgSchema);
  try {
    await migrateToLatest(raw, kind, opts.pgSchema);
  } catch (err) {
    await raw.destroy();
    throw err;
  }
  // Migrations spell columns in snake_case; repositories use camelCase through the plugin.
  const db: Kysely<Database> = raw.withPlugin(new CamelCasePlugin());
  const codec = codecFor(kind);
  let closed: Promise<void> | undefined;
  return {
    kind,
    users: new SqlUserRepo(db, codec),
    tokens: new SqlTokenRepo(db, codec),
    connections: new SqlConnectionRepo(db, codec),
    sessions: new SqlSessionRepo(db, codec),
    policy: new SqlPolicyRepo(db, codec),
    reviews: new SqlReviewRepo(db, codec),
    agents: new SqlAgentRepo(db, codec),
    replicas: new SqlReplicaRepo(db, codec),
    sshKeys: new SqlSshKeyRepo(db, codec),
    loginStates: new SqlLoginStateRepo(db, codec),
    idpBindings: new SqlIdpBindingRepo(db, codec),
    audit: new SqlAuditRepo(db, codec),
    saml: new SqlSamlStateRepo(db, codec),
    close: () => (closed ??= raw.destroy()),
  };
}

function storeKind(url: string): StoreKind {
  if (url === '') return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  throw new WardenError('bad_request', `store.url must be empty (SQLite) or start with postgres://; got "${redact(url)}"`);
}

/** Never echo a password from a URL into an error message. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
