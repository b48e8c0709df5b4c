import { z } from 'zod';
import { connectionTypes, targetTlsModes, type Connection } from '../core/connections/types.ts';
import { publicConnection } from '../core/connections/types.ts';
import { agentNamePattern } from '../core/connections/route.ts';
import { roles, type TokenRecord, type User } from '../core/identity/types.ts';
import type { SessionRecord } from '../core/session/types.ts';

/**
 * The API's request and response shapes, in one place. Responses are views:
 * dates as ISO strings and only the fields a client may see. The CLI client
 * imports the inferred types, so both sides agree at compile time.
 */

/** Names appear in URLs and as the database name in `psql`, so keep them plain. */
const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$/, 'use 1-63 letters, digits, `_`, `.`, `@` or `-`, starting with a letter or digit');
const label = z.string().min(1).max(100);
const iso = z.string();

export const NameParams = z.object({ name: z.string() });
export const IdParams = z.object({ id: z.string() });

export const ErrorView = z.object({ error: z.string(), message: z.string() });
export type ErrorView = z.infer<typeof ErrorView>;
/** 204 responses: no body. */
export const NoContent = z.null();

// ---- users
export const UserView = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(roles),
  groups: z.array(z.string()),
  createdAt: iso,
  disabledAt: iso.nullable(),
});
export type UserView = z.infer<typeof UserView>;
export const userView = (u: User): UserView => ({
  id: u.id,
  name: u.name,
  role: u.role,
  groups: u.groups,
  createdAt: u.createdAt.toISOString(),
  disabledAt: u.disabledAt?.toISOString() ?? null,
});

export const CreateUser = z.strictObject({
  name,
  role: z.enum(roles).default('user'),
  groups: z.array(label).default([]),
});
export type CreateUser = z.input<typeof CreateUser>;
export const PatchUser = z.strictObject({
  role: z.enum(roles).optional(),
  groups: z.array(label).optional(),
  disabled: z.boolean().optional(),
});
export type PatchUser = z.input<typeof PatchUser>;

export const Whoami = z.object({ user: UserView, tokenId: z.string() });
export type Whoami = z.infer<typeof Whoami>;

// ---- tokens
/** A token as the API shows it: never its secret, never its hash. */
export const TokenView = z.object({
  id: z.string(),
  userId: z.string(),
  name: z.string(),
  createdAt: iso,
  expiresAt: iso.nullable(),
  revokedAt: iso.nullable(),
  lastUsedAt: iso.nullable(),
});
export type TokenView = z.infer<typeof TokenView>;
export const tokenView = (t: TokenRecord): TokenView => ({
  id: t.id,
  userId: t.userId,
  name: t.name,
  createdAt: t.createdAt.toISOString(),
  expiresAt: t.expiresAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
});

export const CreateToken = z.strictObject({
  name: label.default('api'),
  /** Lifetime in milliseconds; omitted = 12 h for a person, no expiry for a machine user (group `machine`). */
  ttlMs: z.number().int().positive().optional(),
});
export type CreateToken = z.input<typeof CreateToken>;
/** The only response that carries a token secret: shown once, at creation. */
export const IssuedToken = z.object({ token: z.string(), record: TokenView });
export type IssuedToken = z.infer<typeof IssuedToken>;

// ---- connections
export const ConnectionView = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(connectionTypes),
  host: z.string(),
  port: z.number(),
  database: z.string().nullable(),
  username: z.string(),
  tls: z.enum(targetTlsModes),
  tags: z.array(z.string()),
  agent: z.string().nullable(),
  /** The agent group that serves it (instead of one `agent`); null = none. */
  agentGroup: z.string().nullable(),
  /** SSH: expected target host keys (public keys or SHA256 fingerprints); empty = pinned on first use. */
  hostKeys: z.array(z.string()),
  /** Who holds the target credential: the gateway's vault, or the agent serving the connection. */
  credentials: z.enum(['gateway', 'agent']),
  createdAt: iso,
  hasSecret: z.boolean(),
});
export type ConnectionView = z.infer<typeof ConnectionView>;
export const connectionView = (c: Connection): ConnectionView => {
  const p = publicConnection(c);
  return { ...p, agentGroup: p.agentGroup ?? null, hostKeys: p.hostKeys ?? [], credentials: p.credentials ?? 'gateway', createdAt: p.createdAt.toISOString() };
};

const connectionFields = {
  type: z.enum(connectionTypes),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  database: z.string().min(1).nullable(),
  username: z.string().min(1),
  /** Sealed by the vault on arrival; never returned. */
  password: z.string(),
  tls: z.enum(targetTlsModes),
  tags: z.array(label),
  agent: z.string().min(1).nullable(),
  /** Any connected agent of this group serves it (sessions spread over them); not with `agent`. */
  agentGroup: z.string().regex(agentNamePattern, 'an agent group name is 1-63 letters, digits, `_`, `.`, `@` or `-`').nullable(),
  /** SSH: a private key instead of a password (sealed with its passphrase, never returned). */
  privateKey: z.string().min(1).max(64 * 1024),
  passphrase: z.string(),
  hostKeys: z.array(z.string().min(1).max(16 * 1024)).max(20),
  /** 'agent': the agent serving the connection holds the target credential (its --credentials file); no password here. */
  credentials: z.enum(['agent']),
};
export const CreateConnection = z.strictObject({
  name,
  ...connectionFields,
  database: connectionFields.database.default(null),
  password: connectionFields.password.optional(),
  tls: connectionFields.tls.default('prefer'),
  tags: connectionFields.tags.default([]),
  agent: connectionFields.agent.default(null),
  agentGroup: connectionFields.agentGroup.default(null),
  privateKey: connectionFields.privateKey.optional(),
  passphrase: connectionFields.passphrase.optional(),
  hostKeys: connectionFields.hostKeys.default([]),
  credentials: connectionFields.credentials.optional(),
}).refine((c) => c.agent === null || c.agentGroup === null, { message: 'name an `agent` or an `agentGroup`, not both', path: ['agentGroup'] });
export type CreateConnection = z.input<typeof CreateConnection>;
export const PatchConnection = z
  .strictObject({ ...connectionFields, password: connectionFields.password.nullable() })
  .partial();
export type PatchConnection = z.input<typeof PatchConnection>;

// ---- sessions
export const SessionView = z.object({
  id: z.string(),
  userId: z.string(),
  userName: z.string(),
  connectionName: z.string(),
  protocol: z.string(),
  clientAddress: z.string(),
  startedAt: iso,
  endedAt: iso.nullable(),
  bytesFromClient: z.number(),
  bytesToClient: z.number(),
  statements: z.number(),
  endReason: z.string().nullable(),
  /** Open on this gateway replica right now (it can be killed here). */
  live: z.boolean(),
});
export type SessionView = z.infer<typeof SessionView>;
export const sessionView = (s: SessionRecord, live: boolean): SessionView => ({
  ...s,
  startedAt: s.startedAt.toISOString(),
  endedAt: s.endedAt?.toISOString() ?? null,
  live,
});

export const SessionsQuery = z.strictObject({
  user: z.string().optional(),
  connection: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  open: z.enum(['true', 'false']).optional(),
});
export type SessionsQuery = z.input<typeof SessionsQuery>;

// ---- policy
/** A rule as validated (the shape of docs/policy.md); kept loose here so the document schema stays in core. */
const RuleView = z.record(z.string(), z.unknown());
export const PolicyView = z.object({
  /** Rules from the gateway configuration: read-only here. */
  config: z.array(RuleView),
  /** Rules applied through the API (`PUT /api/v1/policy`). */
  stored: z.array(RuleView),
  yaml: z.string().nullable(),
  version: z.number().nullable(),
  updatedAt: iso.nullable(),
  updatedBy: z.string().nullable(),
  /** Set when the stored rules cannot be used: the gateway then blocks everything. */
  problem: z.string().nullable(),
});
export type PolicyView = z.infer<typeof PolicyView>;

/** A rules file: the YAML text itself (text/yaml, text/plain) or `{ yaml }` as JSON. */
export const ApplyPolicy = z.union([z.string(), z.strictObject({ yaml: z.string() })]);
export type ApplyPolicy = z.input<typeof ApplyPolicy>;
export const AppliedPolicy = z.object({ rules: z.number(), version: z.number() });
export type AppliedPolicy = z.infer<typeof AppliedPolicy>;

export const PolicyTest = z.strictObject({
  user: z.string().min(1),
  connection: z.string().min(1),
  sql: z.string(),
  /** Replace the user's groups (default: the Warden user's own, none for an unknown user). */
  groups: z.array(label).optional(),
  /** Replace the connection's tags (default: the connection's own). */
  tags: z.array(label).optional(),
  /** When the statement would run (default: now); time windows are judged at it. */
  at: z.iso.datetime({ offset: true }).optional(),
  /** Test against this rules file instead of the applied rules; nothing is stored. */
  yaml: z.string().optional(),
});
export type PolicyTest = z.input<typeof PolicyTest>;

export const PolicyTestResult = z.object({
  effect: z.enum(['allow', 'mask', 'review', 'block']),
  rules: z.array(z.object({ id: z.string(), reason: z.string() })),
  message: z.string().optional(),
  approvers: z.array(z.string()).optional(),
  masks: z
    .object({
      columns: z.array(z.object({ rule: z.string(), column: z.string().optional(), name: z.string().optional(), strategy: z.string() })),
      detectors: z.array(z.object({ rule: z.string(), name: z.string(), strategy: z.string() })),
      exempted: z.array(z.object({ rule: z.string(), group: z.string() })),
    })
    .optional(),
  statements: z.array(
    z.object({
      class: z.string(),
      kind: z.string(),
      kinds: z.array(z.string()),
      tables: z.array(z.string()),
      functions: z.array(z.string()),
      dangerous: z.array(z.string()),
      withoutWhere: z.boolean(),
      reasons: z.array(z.string()),
      error: z.string().optional(),
    }),
  ),
  /** Who/where/when the statement was judged for, after resolving the user and connection. */
  subject: z.object({ user: z.string(), groups: z.array(z.string()), connection: z.string(), tags: z.array(z.string()), at: iso }),
  /** What the caller should know about that resolution (unknown user, groups replaced…). */
  notes: z.array(z.string()),
});
export type PolicyTestResult = z.infer<typeof PolicyTestResult>;
