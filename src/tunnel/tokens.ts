import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { agentNamePattern } from '../core/connections/route.ts';
import { WardenError } from '../core/errors.ts';
import { hashSecret } from '../core/identity/tokens.ts';
import { newId } from '../core/ids.ts';
import type { AgentRecord, AgentRepo } from './types.ts';

/**
 * Agent tokens: `wda_<agentId>_<secret>` (agentId is `agt_…`, secret 32 random
 * bytes base64url). Distinct prefix from user tokens (`wdn_`), so one can
 * never be taken for the other. Only sha256(secret) is stored.
 */
const agentTokenPattern = /^wda_(agt_[0-9a-z]+)_([A-Za-z0-9_-]{43})$/;
/** Agent and agent group names: what a connection's `agent` or `agentGroup` holds. */
export const agentName = agentNamePattern;

/** `groups`: the agent groups it serves (fixed for the agent's life: a new agent for other groups). */
export async function createAgent(d: { agents: AgentRepo; clock: Clock }, name: string, groups: string[] = []): Promise<{ token: string; record: AgentRecord }> {
  if (!agentName.test(name)) {
    throw new WardenError('bad_request', `agent name "${name}" is not valid: use 1-63 letters, digits, \`_\`, \`.\`, \`@\` or \`-\``);
  }
  const bad = groups.find((g) => !agentName.test(g));
  if (bad !== undefined) throw new WardenError('bad_request', `agent group "${bad}" is not valid: use 1-63 letters, digits, \`_\`, \`.\`, \`@\` or \`-\``);
  const id = newId('agt');
  const secret = randomBytes(32).toString('base64url');
  const record: AgentRecord = { id, name, secretHash: hashSecret(secret), createdAt: d.clock.now(), revokedAt: null, lastSeenAt: null, version: null, groups: [...new Set(groups)].sort() };
  await d.agents.create(record);
  return { token: `wda_${id}_${secret}`, record };
}

/**
 * The agent a presented token belongs to, or WardenError('access_denied') with
 * one message for every failure (the reason is in `cause` for the logs).
 */
export async function verifyAgentToken(d: { agents: AgentRepo }, presented: string): Promise<AgentRecord> {
  const deny = (reason: string) => new WardenError('access_denied', 'invalid agent token; create a new one with `warden agents create`', { cause: { reason } });
  const m = agentTokenPattern.exec(presented);
  // fail closed: anything not exactly an agent token is refused before any lookup.
  if (m === null) throw deny('malformed');
  const record = await d.agents.byId(m[1]!);
  if (record === undefined) throw deny('unknown_agent');
  const a = Buffer.from(hashSecret(m[2]!), 'hex');
  const b = Buffer.from(record.secretHash, 'hex');
  if (a.length !== 32 || b.length !== 32 || !timingSafeEqual(a, b)) throw deny('bad_secret');
  if (record.revokedAt !== null) throw deny('revoked');
  return record;
}

/** A short fingerprint of a token for logs: never the token itself. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}
