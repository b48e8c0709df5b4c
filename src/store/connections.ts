import type { Kysely, Selectable } from 'kysely';
import {
  connectionTypes,
  targetTlsModes,
  type Connection,
  type ConnectionRepo,
  type ConnectionType,
  type TargetTlsMode,
} from '../core/connections/types.ts';
import { WardenError } from '../core/errors.ts';
import type { Codec } from './codec.ts';
import { isUniqueViolation } from './errors.ts';
import type { ConnectionsTable, Database } from './schema.ts';

type Patch = Partial<Omit<Connection, 'id' | 'name' | 'createdAt'>>;

export class SqlConnectionRepo implements ConnectionRepo {
  readonly #db: Kysely<Database>;
  readonly #codec: Codec;

  constructor(db: Kysely<Database>, codec: Codec) {
    this.#db = db;
    this.#codec = codec;
  }

  async create(c: Connection): Promise<Connection> {
    try {
      await this.#db
        .insertInto('connections')
        .values({
          id: c.id,
          name: c.name,
          type: c.type,
          host: c.host,
          port: c.port,
          database: c.database,
          username: c.username,
          sealedSecret: c.sealedSecret,
          tls: c.tls,
          tags: this.#codec.json(c.tags),
          agent: c.agent,
          hostKeys: c.hostKeys && c.hostKeys.length > 0 ? this.#codec.json(c.hostKeys) : null,
          credentials: c.credentials ?? null,
          agentGroup: c.agentGroup ?? null,
          createdAt: this.#codec.time(c.createdAt),
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new WardenError('bad_request', `a connection named ${c.name} already exists; pick another name or update that connection`);
      }
      throw err;
    }
    return { ...c, tags: [...c.tags] };
  }

  async byName(name: string): Promise<Connection | undefined> {
    const row = await this.#db.selectFrom('connections').selectAll().where('name', '=', name).executeTakeFirst();
    return row && this.#read(row);
  }

  async list(): Promise<Connection[]> {
    const rows = await this.#db.selectFrom('connections').selectAll().orderBy('name').execute();
    return rows.map((r) => this.#read(r));
  }

  async update(name: string, patch: Patch): Promise<Connection | undefined> {
    const set = this.#write(patch);
    if (Object.keys(set).length > 0) {
      await this.#db.updateTable('connections').set(set).where('name', '=', name).execute();
    }
    return this.byName(name);
  }

  async remove(name: string): Promise<boolean> {
    const res = await this.#db.deleteFrom('connections').where('name', '=', name).executeTakeFirst();
    return res.numDeletedRows > 0n;
  }

  /** The mutable columns present in `p` (undefined = leave as is). */
  #write(p: Patch): Partial<ConnectionsTable> {
    const out: Partial<ConnectionsTable> = {};
    if (p.type !== undefined) out.type = p.type;
    if (p.host !== undefined) out.host = p.host;
    if (p.port !== undefined) out.port = p.port;
    if (p.database !== undefined) out.database = p.database;
    if (p.username !== undefined) out.username = p.username;
    if (p.sealedSecret !== undefined) out.sealedSecret = p.sealedSecret;
    if (p.tls !== undefined) out.tls = p.tls;
    if (p.tags !== undefined) out.tags = this.#codec.json(p.tags);
    if (p.agent !== undefined) out.agent = p.agent;
    if (p.hostKeys !== undefined) out.hostKeys = p.hostKeys.length > 0 ? this.#codec.json(p.hostKeys) : null;
    if ('credentials' in p) out.credentials = p.credentials ?? null;
    if ('agentGroup' in p) out.agentGroup = p.agentGroup ?? null;
    return out;
  }

  #read(r: Selectable<ConnectionsTable>): Connection {
    // fail closed: a row the code does not understand is never handed to a protocol.
    if (!connectionTypes.includes(r.type as ConnectionType)) {
      throw new WardenError('internal', `connection ${r.name} has unknown type "${r.type}" in the store`);
    }
    if (!targetTlsModes.includes(r.tls as TargetTlsMode)) {
      throw new WardenError('internal', `connection ${r.name} has unknown tls mode "${r.tls}" in the store`);
    }
    return {
      id: r.id,
      name: r.name,
      type: r.type as ConnectionType,
      host: r.host,
      port: Number(r.port),
      database: r.database,
      username: r.username,
      sealedSecret: r.sealedSecret,
      tls: r.tls as TargetTlsMode,
      tags: this.#codec.readJson(r.tags, 'connections.tags'),
      agent: r.agent,
      ...(r.agentGroup === null ? {} : { agentGroup: r.agentGroup }),
      // Absent, not [], when none are configured: the field is optional on every other connection type.
      ...(r.hostKeys === null ? {} : { hostKeys: this.#codec.readJson(r.hostKeys, 'connections.host_keys') }),
      ...credentialsMode(r.credentials),
      createdAt: this.#codec.readTime(r.createdAt),
    };
  }
}

/** The `credentials` column: only 'agent' or NULL mean anything. */
function credentialsMode(v: string | null): { credentials?: 'agent' } {
  if (v === null) return {};
  // fail closed: an unknown mode never falls back to the vaulted credential.
  if (v !== 'agent') throw new WardenError('internal', `store column connections.credentials holds "${v}"; expected 'agent' or NULL`);
  return { credentials: 'agent' };
}
