import type { Kysely } from 'kysely';
import type { Review, ReviewRepo, ReviewStatus } from '../core/review/types.ts';
import type { Codec } from './codec.ts';
import { readReview, writeReview, type ReviewsTable, type ReviewTables } from './reviews-row.ts';
import type { Database } from './schema.ts';

type Filter = Parameters<ReviewRepo['list']>[0];

/**
 * Reviews in the store, shared by every replica. Each write is a single
 * conditional UPDATE (compare-and-set), so two gateways deciding the same
 * review at once cannot both win.
 */
export class SqlReviewRepo implements ReviewRepo {
  readonly #db: Kysely<Database & ReviewTables>;
  readonly #codec: Codec;

  constructor(db: Kysely<Database>, codec: Codec) {
    this.#db = db.withTables<ReviewTables>();
    this.#codec = codec;
  }

  async create(r: Omit<Review, 'id'>): Promise<Review> {
    const c = this.#codec;
    return this.#db.transaction().execute(async (tx) => {
      // The counter row is locked by the UPDATE until commit (PostgreSQL) or the
      // single SQLite writer holds the file: ids are unique and gap-free per commit.
      const counter = await tx
        .updateTable('reviewCounter')
        .set((eb) => ({ value: eb('value', '+', 1) }))
        .where('id', '=', 1)
        .returning('value')
        .executeTakeFirstOrThrow();
      const seq = c.readInt(counter.value);
      const id = `R-${seq}`;
      // `r` is a whole review, so every column is present in what writeReview returns.
      const columns = writeReview(r, c) as Omit<ReviewsTable, 'id' | 'seq' | 'createdAt'>;
      const inserted = await tx
        .insertInto('reviews')
        .values({ ...columns, id, seq, createdAt: c.time(r.createdAt) })
        .returningAll()
        .executeTakeFirstOrThrow();
      return readReview(inserted, c);
    });
  }

  async get(id: string): Promise<Review | undefined> {
    const row = await this.#db.selectFrom('reviews').selectAll().where('id', '=', id).executeTakeFirst();
    return row && readReview(row, this.#codec);
  }

  async list(filter: Filter = {}): Promise<Review[]> {
    let q = this.#db.selectFrom('reviews').selectAll();
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.requester !== undefined) q = q.where('requester', '=', filter.requester);
    if (filter.connection !== undefined) q = q.where('connection', '=', filter.connection);
    if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
    if (filter.fingerprint !== undefined) q = q.where('fingerprint', '=', filter.fingerprint);
    q = q.orderBy('createdAt').orderBy('seq');
    if (filter.limit !== undefined) q = q.limit(filter.limit);
    const rows = await q.execute();
    return rows.map((r) => readReview(r, this.#codec));
  }

  async update(
    id: string,
    expectStatus: ReviewStatus,
    patch: Partial<Omit<Review, 'id' | 'createdAt'>>,
    expect: { decisions?: number; runs?: number } = {},
  ): Promise<Review | undefined> {
    const set = writeReview(patch, this.#codec);
    // An empty patch still checks the conditions: rewrite the status to itself.
    if (Object.keys(set).length === 0) set.status = expectStatus;
    let q = this.#db.updateTable('reviews').set(set).where('id', '=', id).where('status', '=', expectStatus);
    if (expect.decisions !== undefined) q = q.where('decisionCount', '=', expect.decisions);
    if (expect.runs !== undefined) q = q.where('runs', '=', expect.runs);
    const row = await q.returningAll().executeTakeFirst();
    return row && readReview(row, this.#codec);
  }
}
