import type { Kysely, Migration } from 'kysely';
import type { StoreKind } from '../schema.ts';

/**
 * SSH public keys of Warden users (public-key login to the SSH listener) and
 * the host keys an SSH connection expects from its target. A fingerprint is
 * unique across all users: one key never logs in as two people.
 * `connections.host_keys` is a JSON array of OpenSSH public key lines or
 * `SHA256:` fingerprints; NULL (or empty) = trust on first use.
 */
export function sshKeys(kind: StoreKind): Migration {
  const ts = kind === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('ssh_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('algo', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ssh_keys_user').on('ssh_keys').column('user_id').execute();
      await db.schema.alterTable('connections').addColumn('host_keys', 'text').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('connections').dropColumn('host_keys').execute();
      await db.schema.dropTable('ssh_keys').execute();
    },
  };
}
