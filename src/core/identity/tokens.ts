import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { WardenError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { AuditLog } from '../audit/log.ts';
import { isLocalPersonToken, localUsersOff } from './local-users.ts';
import type { Identity, TokenRecord, TokenRepo, TokenSource, UserRepo } from './types.ts';

/**
 * Warden tokens: `wdn_<tokenId>_<secret>`.
 *
 * - tokenId is `tok_` followed by lower-case base36/hex characters, so it holds
 *   exactly one `_`; the token is split at its third `_` and everything after
 *   it is the secret (base64url may itself contain `_` and `-`).
 * - secret is 32 random bytes, base64url (43 characters).
 * Only sha256(secret) is stored; verification compares hashes in constant time.
 */
export interface TokenDeps {
  users: UserRepo;
  tokens: TokenRepo;
  clock: Clock;
  /** `identity.localUsers` (default on); the gateway passes its whole config. */
  config?: { identity: { localUsers?: boolean } };
  /** Where refused tokens are recorded (`login.token` failures); absent: not audited. */
  audit?: AuditLog;
}

const tokenPattern = /^wdn_(tok_[0-9a-z]+)_([A-Za-z0-9_-]{43})$/;

/** Why a token was refused; in the error's `cause` for logs, never in the client-visible message. */
export const tokenFailures = [
  'malformed',
  'unknown_token',
  'bad_secret',
  'revoked',
  'expired',
  'unknown_user',
  'user_disabled',
  'user_mismatch',
  'local_user',
] as const;
export type TokenFailure = (typeof tokenFailures)[number];

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Mints a token for an existing, enabled user. The token string is returned once and never stored. */
export async function issueToken(
  deps: TokenDeps,
  userId: string,
  opts: { name: string; ttlMs?: number | null; source?: TokenSource },
): Promise<{ token: string; record: TokenRecord }> {
  const user = await deps.users.byId(userId);
  if (user === undefined) throw new WardenError('not_found', `no user with id ${userId}; list users with \`warden admin users\``);
  if (user.disabledAt !== null) throw new WardenError('bad_request', `user ${user.name} is disabled; enable the user before issuing a token`);
  if (opts.name.trim() === '') throw new WardenError('bad_request', 'a token needs a name, e.g. "laptop" or "ci"');
  const ttl = opts.ttlMs ?? null;
  if (ttl !== null && !(Number.isSafeInteger(ttl) && ttl > 0)) {
    throw new WardenError('bad_request', `token lifetime must be a positive number of milliseconds, got ${ttl}`);
  }

  const now = deps.clock.now();
  const id = newId('tok');
  const secret = randomBytes(32).toString('base64url');
  const record: TokenRecord = {
    id,
    userId,
    name: opts.name,
    source: opts.source ?? 'admin',
    secretHash: hashSecret(secret),
    createdAt: now,
    expiresAt: ttl === null ? null : new Date(now.getTime() + ttl),
    revokedAt: null,
    lastUsedAt: null,
  };
  await deps.tokens.create(record);
  return { token: `wdn_${id}_${secret}`, record };
}

/**
 * Resolves a presented token to the acting user, or throws
 * WardenError('access_denied') with one message for every failure, so a client
 * cannot probe which check failed; `cause.reason` says which, for the logs.
 */
export async function verifyToken(deps: TokenDeps, presented: string, expectedUserName?: string): Promise<Identity> {
  try {
    return await checkToken(deps, presented, expectedUserName);
  } catch (err) {
    const reason = err instanceof WardenError ? (err.cause as { reason?: TokenFailure } | undefined)?.reason : undefined;
    if (reason !== undefined) {
      await deps.audit?.record({ type: 'login.token', outcome: 'failure', actor: expectedUserName ?? null, detail: { reason } });
    }
    throw err;
  }
}

async function checkToken(deps: TokenDeps, presented: string, expectedUserName?: string): Promise<Identity> {
  const deny = (reason: TokenFailure): WardenError => {
    const who = expectedUserName === undefined ? '' : ` for user "${expectedUserName}"`;
    return new WardenError('access_denied', `invalid token${who}; check the token or ask an admin for a new one`, {
      cause: { reason },
    });
  };

  const match = tokenPattern.exec(presented);
  // fail closed: anything not exactly in the token format is refused before any lookup.
  if (match === null) throw deny('malformed');
  const [, tokenId, secret] = match as unknown as [string, string, string];

  const record = await deps.tokens.byId(tokenId);
  if (record === undefined) throw deny('unknown_token');
  if (!sameHash(hashSecret(secret), record.secretHash)) throw deny('bad_secret');
  const now = deps.clock.now();
  if (record.revokedAt !== null) throw deny('revoked');
  if (record.expiresAt !== null && now.getTime() >= record.expiresAt.getTime()) throw deny('expired');

  const user = await deps.users.byId(record.userId);
  // fail closed: a token whose user vanished or was disabled grants nothing.
  if (user === undefined) throw deny('unknown_user');
  if (user.disabledAt !== null) throw deny('user_disabled');
  if (expectedUserName !== undefined && user.name !== expectedUserName) throw deny('user_mismatch');
  // fail closed: with local users off, a person's admin-issued token is refused (the secret was right, so say why).
  if (deps.config?.identity.localUsers === false && isLocalPersonToken(user, record.source)) {
    throw new WardenError('access_denied', localUsersOff, { cause: { reason: 'local_user' satisfies TokenFailure } });
  }

  // Awaited, not fire-and-forget: a store that cannot record use should not be trusted to authenticate.
  await deps.tokens.touch(record.id, now);
  return { user, tokenId: record.id, tokenSource: record.source ?? 'admin' };
}

/** Constant-time comparison of two hex SHA-256 digests; false for anything malformed. */
function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}
