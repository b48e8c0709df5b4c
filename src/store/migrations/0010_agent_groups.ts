import type { Kysely, Migration } from 'kysely';
import type { StoreKind } from '../schema.ts';

/**
 * Agent groups: several agents serving the same connections for availability.
 * `agents.groups` is a JSON array of group names, set when the agent is
 * created ('[]' for agents stored before this migration: in no group).
 * `connections.agent_group`: the group that serves a connection, instead of
 * one named `agent` (never both; NULL = not served by a group).
 */
export function agentGroups(_kind: StoreKind): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('agents').addColumn('groups', 'text', (c) => c.notNull().defaultTo('[]')).execute();
      await db.schema.alterTable('connections').addColumn('agent_group', 'text').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('connections').dropColumn('agent_group').execute();
      await db.schema.alterTable('agents').dropColumn('groups').execute();
    },
  };
}
