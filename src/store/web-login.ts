import type { Kysely, Selectable } from 'kysely';
import type { IdpBinding, IdpBindingRepo, LoginState, LoginStateRepo } from '../core/identity/oidc/web-types.ts';
import type { Codec } from './codec.ts';
import type { DbTime } from './schema.ts';

export interface OidcLoginStatesTable {
  state: string;
  sealedVerifier: string;
  nonce: string;
  next: string;
  expiresAt: DbTime;
}

export interface IdpBindingsTable {
  tokenId: string;
  userId: string;
  subject: string;
  sealedRefreshToken: string;
  nextCheckAt: DbTime;
}

type Db = Kysely<{ oidcLoginStates: OidcLoginStatesTable; idpBindings: IdpBindingsTable }>;

/** Browser sign-in states (migration 0008): written at the redirect, taken once at the callback. */
export class SqlLoginStateRepo implements LoginStateRepo {
  readonly #db: Db;
  readonly #codec: Codec;

  constructor(db: Kysely<any>, codec: Codec) {
    this.#db = db as Db;
    this.#codec = codec;
  }

  async create(s: LoginState): Promise<void> {
    await this.#db
      .insertInto('oidcLoginStates')
      .values({ state: s.state, sealedVerifier: s.sealedVerifier, nonce: s.nonce, next: s.next, expiresAt: this.#codec.time(s.expiresAt) })
      .execute();
  }

  async take(state: string): Promise<LoginState | undefined> {
    const row = await this.#db.selectFrom('oidcLoginStates').selectAll().where('state', '=', state).executeTakeFirst();
    if (row === undefined) return undefined;
    // The delete decides who took it: of two callbacks racing on one state, only one deletes the row.
    const res = await this.#db.deleteFrom('oidcLoginStates').where('state', '=', state).executeTakeFirst();
    if (res.numDeletedRows === 0n) return undefined;
    return { state: row.state, sealedVerifier: row.sealedVerifier, nonce: row.nonce, next: row.next, expiresAt: this.#codec.readTime(row.expiresAt) };
  }

  async purgeExpired(now: Date): Promise<number> {
    const res = await this.#db.deleteFrom('oidcLoginStates').where('expiresAt', '<=', this.#codec.time(now)).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

/** IdP refresh tokens bound to Warden tokens (migration 0008), for the group re-check. */
export class SqlIdpBindingRepo implements IdpBindingRepo {
  readonly #db: Db;
  readonly #codec: Codec;

  constructor(db: Kysely<any>, codec: Codec) {
    this.#db = db as Db;
    this.#codec = codec;
  }

  async save(b: IdpBinding): Promise<void> {
    const row = { tokenId: b.tokenId, userId: b.userId, subject: b.subject, sealedRefreshToken: b.sealedRefreshToken, nextCheckAt: this.#codec.time(b.nextCheckAt) };
    await this.#db
      .insertInto('idpBindings')
      .values(row)
      .onConflict((oc) => oc.column('tokenId').doUpdateSet({ sealedRefreshToken: row.sealedRefreshToken, nextCheckAt: row.nextCheckAt, subject: row.subject }))
      .execute();
  }

  async byTokenId(tokenId: string): Promise<IdpBinding | undefined> {
    const row = await this.#db.selectFrom('idpBindings').selectAll().where('tokenId', '=', tokenId).executeTakeFirst();
    return row && this.#read(row);
  }

  async claim(tokenId: string, expected: Date, next: Date): Promise<boolean> {
    const c = this.#codec;
    const res = await this.#db
      .updateTable('idpBindings')
      .set({ nextCheckAt: c.time(next) })
      .where('tokenId', '=', tokenId)
      .where('nextCheckAt', '=', c.time(expected))
      .executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  async replaceRefreshToken(tokenId: string, sealedRefreshToken: string): Promise<void> {
    await this.#db.updateTable('idpBindings').set({ sealedRefreshToken }).where('tokenId', '=', tokenId).execute();
  }

  async remove(tokenId: string): Promise<void> {
    await this.#db.deleteFrom('idpBindings').where('tokenId', '=', tokenId).execute();
  }

  #read(r: Selectable<IdpBindingsTable>): IdpBinding {
    return { tokenId: r.tokenId, userId: r.userId, subject: r.subject, sealedRefreshToken: r.sealedRefreshToken, nextCheckAt: this.#codec.readTime(r.nextCheckAt) };
  }
}
