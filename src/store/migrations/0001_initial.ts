import type { Kysely, Migration } from 'kysely';
import type { StoreKind } from '../schema.ts';

/** Users, tokens, connections and sessions. Column names are snake_case (see schema.ts). */
export function initial(kind: StoreKind): Migration {
  // timestamptz where the database has one; sortable ISO-8601 text on SQLite.
  const ts = kind === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('groups', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('disabled_at', ts)
        .execute();

      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts)
        .addColumn('revoked_at', ts)
        .addColumn('last_used_at', ts)
        .execute();
      await db.schema.createIndex('tokens_user_id').on('tokens').column('user_id').execute();

      await db.schema
        .createTable('connections')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('database', 'text')
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('sealed_secret', 'text')
        .addColumn('tls', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('agent', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('connection_name', 'text', (c) => c.notNull())
        .addColumn('protocol', 'text', (c) => c.notNull())
        .addColumn('client_address', 'text', (c) => c.notNull())
        .addColumn('started_at', ts, (c) => c.notNull())
        .addColumn('ended_at', ts)
        .addColumn('bytes_from_client', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('bytes_to_client', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('statements', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('end_reason', 'text')
        .execute();
      await db.schema.createIndex('sessions_started_at').on('sessions').column('started_at').execute();
      await db.schema.createIndex('sessions_user_name').on('sessions').column('user_name').execute();
      await db.schema.createIndex('sessions_connection_name').on('sessions').column('connection_name').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const table of ['sessions', 'connections', 'tokens', 'users']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
