import type { Kysely } from 'kysely';
import type { PolicyDocument, PolicyStoreRepo } from '../core/policy/service.ts';
import type { Codec } from './codec.ts';
import type { Database } from './schema.ts';

/**
 * The applied policy document, append-only: every apply is a new row, so
 * who changed the rules and when stays in the store; the latest row is current.
 */
export class SqlPolicyRepo implements PolicyStoreRepo {
  readonly #db: Kysely<Database>;
  readonly #codec: Codec;

  constructor(db: Kysely<Database>, codec: Codec) {
    this.#db = db;
    this.#codec = codec;
  }

  async get(): Promise<(PolicyDocument & { version: number }) | undefined> {
    const row = await this.#db.selectFrom('policyVersions').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (row === undefined) return undefined;
    return { version: this.#codec.readInt(row.id), yaml: row.yaml, updatedAt: this.#codec.readTime(row.updatedAt), updatedBy: row.updatedBy };
  }

  async put(doc: PolicyDocument): Promise<number> {
    const row = await this.#db
      .insertInto('policyVersions')
      .values({ yaml: doc.yaml, updatedAt: this.#codec.time(doc.updatedAt), updatedBy: doc.updatedBy })
      .returning('id')
      .executeTakeFirstOrThrow();
    return this.#codec.readInt(row.id);
  }
}
