import type { Kysely, Selectable } from 'kysely';
import type { SessionEnd, SessionRecord, SessionRepo } from '../core/session/types.ts';
import type { Codec } from './codec.ts';
import type { Database, SessionsTable } from './schema.ts';

type SessionStart = Parameters<SessionRepo['start']>[0];
type SessionFilter = NonNullable<Parameters<SessionRepo['list']>[0]>;

/** Sessions listed when the caller gives no limit: enough for a screen, bounded for memory. */
const defaultLimit = 100;

export class SqlSessionRepo implements SessionRepo {
  readonly #db: Kysely<Database>;
  readonly #codec: Codec;

  constructor(db: Kysely<Database>, codec: Codec) {
    this.#db = db;
    this.#codec = codec;
  }

  async start(s: SessionStart): Promise<void> {
    await this.#db
      .insertInto('sessions')
      .values({
        id: s.id,
        userId: s.userId,
        userName: s.userName,
        connectionName: s.connectionName,
        protocol: s.protocol,
        clientAddress: s.clientAddress,
        startedAt: this.#codec.time(s.startedAt),
        endedAt: null,
        bytesFromClient: 0,
        bytesToClient: 0,
        statements: 0,
        endReason: null,
        replicaId: s.replicaId ?? null,
      })
      .execute();
  }

  /**
   * Records the end once: only a session still open is updated, so a second
   * call (e.g. a kill racing the client's close) cannot overwrite the first reason.
   * Unknown or already-ended ids are a no-op.
   */
  async end(id: string, end: SessionEnd): Promise<void> {
    await this.#db
      .updateTable('sessions')
      .set({
        endedAt: this.#codec.time(end.endedAt),
        bytesFromClient: end.bytesFromClient,
        bytesToClient: end.bytesToClient,
        statements: end.statements,
        endReason: end.endReason,
      })
      .where('id', '=', id)
      .where('endedAt', 'is', null)
      .execute();
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const row = await this.#db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.#read(row);
  }

  async list(filter: SessionFilter = {}): Promise<SessionRecord[]> {
    let q = this.#db.selectFrom('sessions').selectAll();
    if (filter.userName !== undefined) q = q.where('userName', '=', filter.userName);
    if (filter.connectionName !== undefined) q = q.where('connectionName', '=', filter.connectionName);
    if (filter.openOnly === true) q = q.where('endedAt', 'is', null);
    const limit = Math.max(0, Math.floor(filter.limit ?? defaultLimit));
    const rows = await q.orderBy('startedAt', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => this.#read(r));
  }

  #read(r: Selectable<SessionsTable>): SessionRecord {
    const c = this.#codec;
    return {
      id: r.id,
      userId: r.userId,
      userName: r.userName,
      connectionName: r.connectionName,
      protocol: r.protocol,
      clientAddress: r.clientAddress,
      startedAt: c.readTime(r.startedAt),
      endedAt: c.readTimeOrNull(r.endedAt),
      bytesFromClient: c.readInt(r.bytesFromClient),
      bytesToClient: c.readInt(r.bytesToClient),
      statements: c.readInt(r.statements),
      endReason: r.endReason,
      replicaId: r.replicaId,
    };
  }
}
