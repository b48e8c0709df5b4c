import { WardenError } from '../errors.ts';

/** What an agent name and an agent group name look like (1-63 characters). */
export const agentNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$/;

/** Which agents may carry a connection's sessions: one named agent, or any agent of a group. */
export type AgentRoute = { kind: 'agent'; name: string } | { kind: 'group'; name: string };

/**
 * The agent route of a connection (or of a dial target built from one); null
 * when the gateway dials the target itself.
 */
export function agentRoute(c: { agent: string | null; agentGroup?: string | null | undefined }): AgentRoute | null {
  const group = c.agentGroup ?? null;
  // fail closed: a row naming both is never guessed at (the API refuses to store one).
  if (c.agent && group) throw new WardenError('internal', `the connection names both agent "${c.agent}" and agent group "${group}"; an admin keeps one of them`);
  if (c.agent) return { kind: 'agent', name: c.agent };
  if (group) return { kind: 'group', name: group };
  return null;
}

/** How errors name a route: `agent "edge"` or `agent group "dc1"`. */
export function describeRoute(r: AgentRoute): string {
  return r.kind === 'agent' ? `agent "${r.name}"` : `agent group "${r.name}"`;
}
