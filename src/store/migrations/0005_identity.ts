import type { Kysely, Migration } from 'kysely';
import type { StoreKind } from '../schema.ts';

/**
 * Identity administration, shared by every replica:
 * - `saml_requests`: AuthnRequest IDs this installation sent, until they expire,
 *   so a response may come back to any replica and is checked against them;
 * - `saml_assertions`: assertion IDs already used to sign in, each kept until
 *   the assertion's own NotOnOrAfter (the primary key makes "first use wins"
 *   atomic across replicas);
 * - `audit_events`: the protocol-neutral audit log (logins, tokens, policy,
 *   reviews, users, connections); `detail` is a JSON object;
 * - `tokens.source`: who issued a token (`admin` through the API/CLI, or the
 *   IdP sign-in that minted it), so `identity.localUsers: false` can refuse
 *   admin-issued tokens of people without refusing their IdP sign-ins.
 */
export function identity(kind: StoreKind): Migration {
  const ts = kind === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('saml_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('saml_assertions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('used_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', ts, (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('actor', 'text')
        .addColumn('subject', 'text')
        .addColumn('detail', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await db.schema.createIndex('audit_events_at').on('audit_events').columns(['at', 'id']).execute();
      await db.schema.createIndex('audit_events_actor').on('audit_events').columns(['actor', 'at']).execute();
      await db.schema.alterTable('tokens').addColumn('source', 'text', (c) => c.notNull().defaultTo('admin')).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('tokens').dropColumn('source').execute();
      await db.schema.dropTable('audit_events').execute();
      await db.schema.dropTable('saml_assertions').execute();
      await db.schema.dropTable('saml_requests').execute();
    },
  };
}
