import type { Kysely, Selectable } from 'kysely';
import { WardenError } from '../core/errors.ts';
import type { SshKeyRecord, SshKeyRepo } from '../core/identity/ssh-keys.ts';
import type { Codec } from './codec.ts';
import { isUniqueViolation } from './errors.ts';
import type { DbTime } from './schema.ts';

export interface SshKeysTable {
  id: string;
  userId: string;
  name: string;
  algo: string;
  publicKey: string;
  fingerprint: string;
  createdAt: DbTime;
}

type Db = Kysely<{ sshKeys: SshKeysTable }>;

/** Users' SSH public keys (migration 0006). */
export class SqlSshKeyRepo implements SshKeyRepo {
  readonly #db: Db;
  readonly #codec: Codec;

  constructor(db: Kysely<any>, codec: Codec) {
    this.#db = db as Db;
    this.#codec = codec;
  }

  async create(k: SshKeyRecord): Promise<void> {
    try {
      await this.#db
        .insertInto('sshKeys')
        .values({ id: k.id, userId: k.userId, name: k.name, algo: k.algo, publicKey: k.publicKey, fingerprint: k.fingerprint, createdAt: this.#codec.time(k.createdAt) })
        .execute();
    } catch (err) {
      // The same answer whoever holds the key: registering it does not reveal whose it is.
      if (isUniqueViolation(err)) throw new WardenError('bad_request', `SSH key ${k.fingerprint} is already registered; a key belongs to one Warden user`);
      throw err;
    }
  }

  async byFingerprint(fingerprint: string): Promise<SshKeyRecord | undefined> {
    const row = await this.#db.selectFrom('sshKeys').selectAll().where('fingerprint', '=', fingerprint).executeTakeFirst();
    return row && this.#read(row);
  }

  async listForUser(userId: string): Promise<SshKeyRecord[]> {
    const rows = await this.#db.selectFrom('sshKeys').selectAll().where('userId', '=', userId).orderBy('createdAt').orderBy('id').execute();
    return rows.map((r) => this.#read(r));
  }

  async remove(userId: string, idOrFingerprint: string): Promise<boolean> {
    const res = await this.#db
      .deleteFrom('sshKeys')
      .where('userId', '=', userId)
      .where((eb) => eb.or([eb('id', '=', idOrFingerprint), eb('fingerprint', '=', idOrFingerprint)]))
      .executeTakeFirst();
    return res.numDeletedRows > 0n;
  }

  #read(r: Selectable<SshKeysTable>): SshKeyRecord {
    return { id: r.id, userId: r.userId, name: r.name, algo: r.algo, publicKey: r.publicKey, fingerprint: r.fingerprint, createdAt: this.#codec.readTime(r.createdAt) };
  }
}
