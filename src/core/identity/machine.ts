import { WardenError } from '../errors.ts';
import { isLocalPerson, localUsersOff } from './local-users.ts';
import { issueToken, type TokenDeps } from './tokens.ts';
import type { TokenRecord, User } from './types.ts';

/**
 * Machine identities: CI jobs, services and AI agents. A machine is an
 * ordinary user in the `machine` group; its role and its other groups decide
 * what it may do, exactly as for a person, and policy can single machines out
 * by that group. What differs is the token's life: a person's token is
 * short-lived (12 h unless asked otherwise), so a forgotten laptop token dies
 * on its own; a machine token lives until revoked (or its explicit ttl).
 * Only a machine identity can hold a machine token, so a person never gets an
 * everlasting token by passing a flag.
 */
export const machineGroup = 'machine';

/** Default lifetime of a person's token, as for an OIDC login. */
export const personTokenTtlMs = 12 * 60 * 60_000;

export const tokenKinds = ['person', 'machine'] as const;
export type TokenKind = (typeof tokenKinds)[number];

export const isMachine = (user: User): boolean => user.groups.includes(machineGroup);

/**
 * Issues a token of the given kind for a user found by the caller.
 * `ttlMs` omitted: 12 h for a person, no expiry for a machine.
 * Throws `bad_request` when a machine token is asked for a user who is not a machine.
 */
export async function issueTokenFor(
  deps: TokenDeps,
  user: User,
  opts: { name: string; kind: TokenKind; ttlMs?: number },
): Promise<{ token: string; record: TokenRecord }> {
  if (opts.kind === 'machine' && !isMachine(user)) {
    throw new WardenError(
      'bad_request',
      `user ${user.name} is not a machine identity, so it cannot hold a token that never expires; ` +
        `create one for the job (\`warden users create ci-deploy --group ${machineGroup} --group <its groups>\`) or add the ${machineGroup} group to ${user.name}`,
    );
  }
  // fail closed: with local users off, people get tokens only from their IdP sign-in.
  if (deps.config?.identity.localUsers === false && isLocalPerson(user)) throw new WardenError('bad_request', localUsersOff);
  const ttlMs = opts.ttlMs ?? (opts.kind === 'machine' ? null : personTokenTtlMs);
  return issueToken(deps, user.id, { name: opts.name, ttlMs });
}
