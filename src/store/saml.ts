import type { Kysely } from 'kysely';
import type { SamlStateRepo } from '../core/identity/saml/state.ts';
import type { Codec } from './codec.ts';
import { isUniqueViolation } from './errors.ts';
import type { DbTime } from './schema.ts';

interface SamlRequestsTable {
  id: string;
  createdAt: DbTime;
  expiresAt: DbTime;
}
interface SamlAssertionsTable {
  id: string;
  usedAt: DbTime;
  expiresAt: DbTime;
}
type Db = Kysely<{ samlRequests: SamlRequestsTable; samlAssertions: SamlAssertionsTable }>;

/**
 * SAML sign-in state shared by replicas (migration 0005). Expired rows are
 * ignored by every read and deleted on the next write, so the tables stay as
 * small as the sign-ins of the last few minutes.
 */
export class SqlSamlStateRepo implements SamlStateRepo {
  readonly #db: Db;
  readonly #codec: Codec;

  constructor(db: Kysely<any>, codec: Codec) {
    this.#db = db as Db;
    this.#codec = codec;
  }

  async saveRequest(id: string, createdAt: Date, expiresAt: Date): Promise<void> {
    const c = this.#codec;
    await this.#db.deleteFrom('samlRequests').where('expiresAt', '<=', c.time(createdAt)).execute();
    await this.#db.insertInto('samlRequests').values({ id, createdAt: c.time(createdAt), expiresAt: c.time(expiresAt) }).execute();
  }

  async findRequest(id: string, now: Date): Promise<Date | undefined> {
    const row = await this.#db.selectFrom('samlRequests').select('createdAt').where('id', '=', id).where('expiresAt', '>', this.#codec.time(now)).executeTakeFirst();
    return row && this.#codec.readTime(row.createdAt);
  }

  async removeRequest(id: string): Promise<void> {
    await this.#db.deleteFrom('samlRequests').where('id', '=', id).execute();
  }

  async assertionUsed(id: string, now: Date): Promise<boolean> {
    const row = await this.#db.selectFrom('samlAssertions').select('id').where('id', '=', id).where('expiresAt', '>', this.#codec.time(now)).executeTakeFirst();
    return row !== undefined;
  }

  async useAssertion(id: string, now: Date, expiresAt: Date): Promise<boolean> {
    const c = this.#codec;
    await this.#db.deleteFrom('samlAssertions').where('expiresAt', '<=', c.time(now)).execute();
    try {
      // The primary key decides: of two replicas inserting the same ID, one fails.
      await this.#db.insertInto('samlAssertions').values({ id, usedAt: c.time(now), expiresAt: c.time(expiresAt) }).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }
}
