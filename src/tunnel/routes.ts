import { z } from 'zod';
import type { Api } from '../api/types.ts';
import { WardenError } from '../core/errors.ts';
import type { Clock } from '../core/clock.ts';
import type { AgentRegistry } from './registry.ts';
import type { ReplicaDirectory } from './replicas.ts';
import { agentName, createAgent } from './tokens.ts';
import type { AgentRecord, AgentRepo } from './types.ts';

/**
 * Admin routes for agents: create (the agent token is in that response only; its groups fixed then),
 * list (with the links connected to this replica), revoke (drops live links at once).
 */
const iso = z.string();
export const AgentView = z.object({
  id: z.string(),
  name: z.string(),
  /** The agent groups it serves: connections naming one of them may ride it. */
  groups: z.array(z.string()),
  createdAt: iso,
  revokedAt: iso.nullable(),
  lastSeenAt: iso.nullable(),
  version: z.string().nullable(),
  links: z.array(z.object({ remoteAddress: z.string(), version: z.string().nullable(), connectedAt: iso, lastHeartbeatAt: iso, streams: z.number() })),
  /** Every live gateway replica this agent is linked to (from the shared store; `links` above are this replica's own). */
  replicas: z.array(z.object({ id: z.string(), name: z.string(), url: z.string(), links: z.number() })),
});
export type AgentView = z.infer<typeof AgentView>;
export const IssuedAgentToken = z.object({ token: z.string(), agent: AgentView });
export type IssuedAgentToken = z.infer<typeof IssuedAgentToken>;
const ErrorView = z.object({ error: z.string(), message: z.string() });

export function agentRoutes(app: Api, d: { agents: AgentRepo; registry: AgentRegistry; clock: Clock; replicas?: ReplicaDirectory }): void {
  const tags = ['agents'];
  type Where = AgentView['replicas'];
  const view = (a: AgentRecord, where: Map<string, Where> = new Map()): AgentView => ({
    id: a.id,
    name: a.name,
    groups: a.groups,
    createdAt: a.createdAt.toISOString(),
    revokedAt: a.revokedAt?.toISOString() ?? null,
    lastSeenAt: a.lastSeenAt?.toISOString() ?? null,
    version: a.version,
    links: d.registry
      .list()
      .filter((l) => l.agentId === a.id)
      .map((l) => ({
        remoteAddress: l.remoteAddress,
        version: l.version,
        connectedAt: l.connectedAt.toISOString(),
        lastHeartbeatAt: l.lastHeartbeatAt.toISOString(),
        streams: l.mux.size,
      })),
    replicas: where.get(a.id) ?? [],
  });

  app.post(
    '/api/v1/agents',
    { schema: { tags, summary: 'Create an agent; its token is in this response only', body: z.object({ name: z.string(), groups: z.array(z.string().regex(agentName, 'a group name is 1-63 letters, digits, `_`, `.`, `@` or `-`')).max(20).default([]) }), response: { 201: IssuedAgentToken, 400: ErrorView } } },
    async (req, reply) => {
      const { token, record } = await createAgent(d, req.body.name, req.body.groups);
      return reply.status(201).send({ token, agent: view(record) });
    },
  );

  app.get('/api/v1/agents', { schema: { tags, summary: 'List agents, their live links here and the replicas they are linked to', response: { 200: AgentView.array() } } }, async () => {
    const where = (await d.replicas?.agentReplicas()) ?? new Map<string, Where>();
    return (await d.agents.list()).map((a) => view(a, where));
  });

  app.delete(
    '/api/v1/agents/:name',
    { schema: { tags, summary: "Revoke an agent's token and drop its links", params: z.object({ name: z.string() }), response: { 204: z.null(), 404: ErrorView } } },
    async (req, reply) => {
      const revoked = await d.agents.revoke(req.params.name, d.clock.now());
      if (!revoked) throw new WardenError('not_found', `no active agent ${req.params.name}; see \`warden agents list\``);
      d.registry.drop(req.params.name, 'agent token revoked');
      return reply.status(204).send(null);
    },
  );
}
