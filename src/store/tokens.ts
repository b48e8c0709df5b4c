import type { Kysely, Selectable } from 'kysely';
import { tokenSources, type TokenRecord, type TokenRepo, type TokenSource } from '../core/identity/types.ts';
import type { Codec } from './codec.ts';
import type { Database, TokensTable } from './schema.ts';

export class SqlTokenRepo implements TokenRepo {
  readonly #db: Kysely<Database>;
  readonly #codec: Codec;

  constructor(db: Kysely<Database>, codec: Codec) {
    this.#db = db;
    this.#codec = codec;
  }

  async create(t: TokenRecord): Promise<void> {
    const c = this.#codec;
    await this.#db
      .insertInto('tokens')
      .values({
        id: t.id,
        userId: t.userId,
        name: t.name,
        source: t.source ?? 'admin',
        secretHash: t.secretHash,
        createdAt: c.time(t.createdAt),
        expiresAt: c.timeOrNull(t.expiresAt),
        revokedAt: c.timeOrNull(t.revokedAt),
        lastUsedAt: c.timeOrNull(t.lastUsedAt),
      })
      .execute();
  }

  async byId(id: string): Promise<TokenRecord | undefined> {
    const row = await this.#db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.#read(row);
  }

  async listForUser(userId: string): Promise<TokenRecord[]> {
    const rows = await this.#db
      .selectFrom('tokens')
      .selectAll()
      .where('userId', '=', userId)
      .orderBy('createdAt')
      .orderBy('id')
      .execute();
    return rows.map((r) => this.#read(r));
  }

  /** False when there is no such token or it was already revoked (the first revocation time stands). */
  async revoke(id: string, at: Date): Promise<boolean> {
    const res = await this.#db
      .updateTable('tokens')
      .set({ revokedAt: this.#codec.time(at) })
      .where('id', '=', id)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.#db.updateTable('tokens').set({ lastUsedAt: this.#codec.time(at) }).where('id', '=', id).execute();
  }

  #read(r: Selectable<TokensTable>): TokenRecord {
    const c = this.#codec;
    return {
      id: r.id,
      userId: r.userId,
      name: r.name,
      source: readSource(r.source),
      secretHash: r.secretHash,
      createdAt: c.readTime(r.createdAt),
      expiresAt: c.readTimeOrNull(r.expiresAt),
      revokedAt: c.readTimeOrNull(r.revokedAt),
      lastUsedAt: c.readTimeOrNull(r.lastUsedAt),
    };
  }
}

/** fail closed: an unknown source is treated as the most restricted one, `admin` (refused for people when local users are off). */
const readSource = (v: string): TokenSource => ((tokenSources as readonly string[]).includes(v) ? (v as TokenSource) : 'admin');
