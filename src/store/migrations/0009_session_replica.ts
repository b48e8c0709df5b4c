import type { Kysely, Migration } from 'kysely';
import type { StoreKind } from '../schema.ts';

/**
 * `sessions.replica_id`: the gateway replica a session runs on (its id in
 * `replicas`, a fresh one per process start). A replica killed without
 * shutting down leaves its open sessions open in the store; a surviving
 * replica finds them through this column once the dead one's heartbeat
 * lapses, and ends them (reason `replica_lost`). NULL for sessions stored
 * before this migration: no replica ever claims them.
 */
export function sessionReplica(_kind: StoreKind): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('sessions').addColumn('replica_id', 'text').execute();
      await db.schema.createIndex('sessions_replica_open').on('sessions').columns(['replica_id', 'ended_at']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('sessions_replica_open').execute();
      await db.schema.alterTable('sessions').dropColumn('replica_id').execute();
    },
  };
}
