import type { Kysely, Selectable } from 'kysely';
import type { AgentLinkRecord, LostSessions, ReplicaRecord, ReplicaRepo } from '../tunnel/types.ts';
import type { Codec } from './codec.ts';
import type { DbTime, SessionsTable } from './schema.ts';

export interface ReplicasTable {
  id: string;
  name: string;
  apiUrl: string;
  startedAt: DbTime;
  heartbeatAt: DbTime;
}

export interface AgentLinksTable {
  id: string;
  replicaId: string;
  agentId: string;
  remoteAddress: string;
  connectedAt: DbTime;
}

type Db = Kysely<{ replicas: ReplicasTable; agentLinks: AgentLinksTable; sessions: SessionsTable }>;

/** Gateway replicas (migration 0007): who is running, where agents reach them, last heartbeat. */
export class SqlReplicaRepo implements ReplicaRepo {
  readonly #db: Db;
  readonly #codec: Codec;

  constructor(db: Kysely<any>, codec: Codec) {
    this.#db = db as Db;
    this.#codec = codec;
  }

  async upsert(r: ReplicaRecord): Promise<void> {
    const c = this.#codec;
    const row = { id: r.id, name: r.name, apiUrl: r.apiUrl, startedAt: c.time(r.startedAt), heartbeatAt: c.time(r.heartbeatAt) };
    await this.#db
      .insertInto('replicas')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet({ name: row.name, apiUrl: row.apiUrl, heartbeatAt: row.heartbeatAt }))
      .execute();
  }

  async heartbeat(id: string, at: Date): Promise<void> {
    await this.#db.updateTable('replicas').set({ heartbeatAt: this.#codec.time(at) }).where('id', '=', id).execute();
  }

  async live(since: Date): Promise<ReplicaRecord[]> {
    const rows = await this.#db.selectFrom('replicas').selectAll().where('heartbeatAt', '>=', this.#codec.time(since)).orderBy('startedAt').orderBy('id').execute();
    return rows.map((r) => this.#read(r));
  }

  async remove(id: string): Promise<void> {
    await this.#db.deleteFrom('agentLinks').where('replicaId', '=', id).execute();
    await this.#db.deleteFrom('replicas').where('id', '=', id).execute();
  }

  async addLink(l: AgentLinkRecord): Promise<void> {
    await this.#db.insertInto('agentLinks').values({ ...l, connectedAt: this.#codec.time(l.connectedAt) }).execute();
  }

  async removeLink(id: string): Promise<void> {
    await this.#db.deleteFrom('agentLinks').where('id', '=', id).execute();
  }

  async liveLinks(since: Date) {
    const rows = await this.#db
      .selectFrom('agentLinks')
      .innerJoin('replicas', 'replicas.id', 'agentLinks.replicaId')
      .select(['agentLinks.id', 'agentLinks.replicaId', 'agentLinks.agentId', 'agentLinks.remoteAddress', 'agentLinks.connectedAt', 'replicas.name as replicaName', 'replicas.apiUrl as replicaUrl'])
      .where('replicas.heartbeatAt', '>=', this.#codec.time(since))
      .orderBy('replicas.startedAt')
      .execute();
    return rows.map((r) => ({ ...r, connectedAt: this.#codec.readTime(r.connectedAt) }));
  }

  async endLostSessions(staleBefore: Date, at: Date): Promise<LostSessions[]> {
    const c = this.#codec;
    const lapsed = await this.#db
      .selectFrom('sessions')
      .innerJoin('replicas', 'replicas.id', 'sessions.replicaId')
      .select(['sessions.id', 'replicas.id as replicaId', 'replicas.name', 'replicas.heartbeatAt'])
      .where('replicas.heartbeatAt', '<', c.time(staleBefore))
      .where('sessions.endedAt', 'is', null)
      .execute();
    const out = new Map<string, LostSessions>();
    for (const r of lapsed) {
      const lost = out.get(r.replicaId) ?? { replicaId: r.replicaId, replicaName: r.name, lastHeartbeat: c.readTime(r.heartbeatAt), sessions: [] };
      lost.sessions.push(r.id);
      out.set(r.replicaId, lost);
    }
    for (const lost of out.values()) {
      // Still open only: a replica racing this one, or the session's own late end, keeps the first reason.
      await this.#db
        .updateTable('sessions')
        .set({ endedAt: c.time(at), endReason: `replica_lost: gateway replica "${lost.replicaName}" stopped (no heartbeat since ${lost.lastHeartbeat.toISOString()})` })
        .where('replicaId', '=', lost.replicaId)
        .where('id', 'in', lost.sessions)
        .where('endedAt', 'is', null)
        .execute();
    }
    return [...out.values()];
  }

  #read(r: Selectable<ReplicasTable>): ReplicaRecord {
    const c = this.#codec;
    return { id: r.id, name: r.name, apiUrl: r.apiUrl, startedAt: c.readTime(r.startedAt), heartbeatAt: c.readTime(r.heartbeatAt) };
  }
}
