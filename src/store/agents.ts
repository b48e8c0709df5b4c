import type { Kysely, Selectable } from 'kysely';
import { WardenError } from '../core/errors.ts';
import type { AgentRecord, AgentRepo } from '../tunnel/types.ts';
import type { Codec } from './codec.ts';
import { isUniqueViolation } from './errors.ts';
import type { DbTime } from './schema.ts';

export interface AgentsTable {
  id: string;
  name: string;
  secretHash: string;
  createdAt: DbTime;
  revokedAt: DbTime | null;
  lastSeenAt: DbTime | null;
  version: string | null;
  /** JSON array of group names (migration 0010). */
  groups: string;
}

type Db = Kysely<{ agents: AgentsTable }>;

/** Agents (migration 0004): names, hashed agent tokens, revocation, last contact; their groups (0010). */
export class SqlAgentRepo implements AgentRepo {
  readonly #db: Db;
  readonly #codec: Codec;

  constructor(db: Kysely<any>, codec: Codec) {
    this.#db = db as Db;
    this.#codec = codec;
  }

  async create(a: AgentRecord): Promise<void> {
    const c = this.#codec;
    try {
      await this.#db
        .insertInto('agents')
        .values({
          id: a.id,
          name: a.name,
          secretHash: a.secretHash,
          createdAt: c.time(a.createdAt),
          revokedAt: c.timeOrNull(a.revokedAt),
          lastSeenAt: c.timeOrNull(a.lastSeenAt),
          version: a.version,
          groups: c.json(a.groups),
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new WardenError('bad_request', `an agent named ${a.name} already exists; pick another name or revoke that one`);
      throw err;
    }
  }

  async byId(id: string): Promise<AgentRecord | undefined> {
    const row = await this.#db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.#read(row);
  }

  async byName(name: string): Promise<AgentRecord | undefined> {
    const row = await this.#db.selectFrom('agents').selectAll().where('name', '=', name).executeTakeFirst();
    return row && this.#read(row);
  }

  async list(): Promise<AgentRecord[]> {
    const rows = await this.#db.selectFrom('agents').selectAll().orderBy('name').execute();
    return rows.map((r) => this.#read(r));
  }

  async revoke(name: string, at: Date): Promise<boolean> {
    const res = await this.#db
      .updateTable('agents')
      .set({ revokedAt: this.#codec.time(at) })
      .where('name', '=', name)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  async touch(id: string, at: Date, version: string | null): Promise<void> {
    await this.#db.updateTable('agents').set({ lastSeenAt: this.#codec.time(at), version }).where('id', '=', id).execute();
  }

  #read(r: Selectable<AgentsTable>): AgentRecord {
    const c = this.#codec;
    return {
      id: r.id,
      name: r.name,
      secretHash: r.secretHash,
      createdAt: c.readTime(r.createdAt),
      revokedAt: c.readTimeOrNull(r.revokedAt),
      lastSeenAt: c.readTimeOrNull(r.lastSeenAt),
      version: r.version,
      groups: c.readJson(r.groups, 'agents.groups'),
    };
  }
}
