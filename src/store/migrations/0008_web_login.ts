import type { Kysely, Migration } from 'kysely';
import type { StoreKind } from '../schema.ts';

/**
 * Browser sign-in (OIDC authorization code + PKCE) and the IdP group re-check.
 * - `oidc_login_states`: one row per sign-in between the redirect to the IdP
 *   and its callback (state, sealed PKCE verifier, nonce, where to go next);
 *   in the store so any replica can finish a sign-in another one started.
 * - `idp_bindings`: the sealed IdP refresh token behind a Warden token and
 *   when its groups are next re-read at the IdP; removed when the IdP refuses
 *   a refresh. A row whose token is revoked or expired is inert: the token is
 *   refused before any re-check.
 */
export function webLogin(kind: StoreKind): Migration {
  const ts = kind === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('oidc_login_states')
        .addColumn('state', 'text', (c) => c.primaryKey())
        .addColumn('sealed_verifier', 'text', (c) => c.notNull())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('next', 'text', (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('idp_bindings')
        .addColumn('token_id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('sealed_refresh_token', 'text', (c) => c.notNull())
        .addColumn('next_check_at', ts, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('idp_bindings').execute();
      await db.schema.dropTable('oidc_login_states').execute();
    },
  };
}
