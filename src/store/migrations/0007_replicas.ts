import type { Kysely, Migration } from 'kysely';
import type { StoreKind } from '../schema.ts';

/**
 * Gateway replicas sharing one store: each running gateway keeps a row here
 * (its advertised API URL and a heartbeat), so agents can be told every
 * replica to link to. A row whose heartbeat is older than the TTL is a replica
 * that died without saying goodbye (kill -9); readers skip it.
 * `agent_links`: which agent is linked to which replica right now, so any
 * replica can answer "where is this agent connected" (`warden agents list`).
 * `connections.credentials`: 'agent' when the agent holds the target credentials.
 */
export function replicas(kind: StoreKind): Migration {
  const ts = kind === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('replicas')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('api_url', 'text', (c) => c.notNull())
        .addColumn('started_at', ts, (c) => c.notNull())
        .addColumn('heartbeat_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('agent_links')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('replica_id', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('remote_address', 'text', (c) => c.notNull())
        .addColumn('connected_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('agent_links_agent').on('agent_links').column('agent_id').execute();
      await db.schema.alterTable('connections').addColumn('credentials', 'text').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('connections').dropColumn('credentials').execute();
      await db.schema.dropTable('agent_links').execute();
      await db.schema.dropTable('replicas').execute();
    },
  };
}
