import type { Kysely, Migration } from 'kysely';
import type { StoreKind } from '../schema.ts';

/**
 * Just-in-time reviews (command reviews and access requests). Ids are `R-<seq>`
 * with `seq` taken from the one-row `review_counter` in the same transaction as
 * the insert, so two replicas never hand out the same id. Lists (decisions,
 * policy, notification errors) are JSON text; `decision_count` and `runs` are
 * plain columns so updates can compare-and-set on them.
 */
export function reviews(kind: StoreKind): Migration {
  const ts = kind === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('review_counter')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();
      await db.insertInto('review_counter').values({ id: 1, value: 0 }).execute();

      await db.schema
        .createTable('reviews')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('requester', 'text', (c) => c.notNull())
        .addColumn('requester_groups', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('text', 'text')
        .addColumn('fingerprint', 'text')
        .addColumn('justification', 'text')
        .addColumn('rules', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('notified_at', ts)
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('decisions', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('decision_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('decided_at', ts)
        .addColumn('valid_until', ts)
        .addColumn('access_for_ms', 'bigint')
        .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('notify_errors', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
      await db.schema.createIndex('reviews_status_created').on('reviews').columns(['status', 'created_at']).execute();
      await db.schema.createIndex('reviews_requester_connection').on('reviews').columns(['requester', 'connection']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('reviews').execute();
      await db.schema.dropTable('review_counter').execute();
    },
  };
}
