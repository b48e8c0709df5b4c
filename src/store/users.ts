import type { Kysely, Selectable } from 'kysely';
import { WardenError } from '../core/errors.ts';
import { roles, type NewUser, type Role, type User, type UserRepo } from '../core/identity/types.ts';
import type { Codec } from './codec.ts';
import { isUniqueViolation } from './errors.ts';
import type { Database, UsersTable } from './schema.ts';

export class SqlUserRepo implements UserRepo {
  readonly #db: Kysely<Database>;
  readonly #codec: Codec;

  constructor(db: Kysely<Database>, codec: Codec) {
    this.#db = db;
    this.#codec = codec;
  }

  async create(user: NewUser & { id: string; createdAt: Date }): Promise<User> {
    const row = {
      id: user.id,
      name: user.name,
      role: user.role ?? 'user',
      groups: this.#codec.json(user.groups ?? []),
      createdAt: this.#codec.time(user.createdAt),
      disabledAt: null,
    };
    try {
      await this.#db.insertInto('users').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new WardenError('bad_request', `a user named ${user.name} already exists; pick another name or update that user`);
      }
      throw err;
    }
    return this.#read(row);
  }

  async byId(id: string): Promise<User | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.#read(row);
  }

  async byName(name: string): Promise<User | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    return row && this.#read(row);
  }

  async list(): Promise<User[]> {
    const rows = await this.#db.selectFrom('users').selectAll().orderBy('name').execute();
    return rows.map((r) => this.#read(r));
  }

  async update(id: string, patch: { role?: Role; groups?: string[]; disabledAt?: Date | null }): Promise<User | undefined> {
    const set: Partial<UsersTable> = {};
    if (patch.role !== undefined) set.role = patch.role;
    if (patch.groups !== undefined) set.groups = this.#codec.json(patch.groups);
    if (patch.disabledAt !== undefined) set.disabledAt = this.#codec.timeOrNull(patch.disabledAt);
    if (Object.keys(set).length > 0) {
      await this.#db.updateTable('users').set(set).where('id', '=', id).execute();
    }
    return this.byId(id);
  }

  async remove(id: string): Promise<boolean> {
    // Tokens go first and in the same transaction: a token must never outlive its user.
    return this.#db.transaction().execute(async (tx) => {
      await tx.deleteFrom('tokens').where('userId', '=', id).execute();
      // Likewise SSH keys: a deleted user's key must not log in as a later user of the same name.
      await (tx as Kysely<any>).deleteFrom('ssh_keys').where('userId', '=', id).execute();
      const res = await tx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return res.numDeletedRows > 0n;
    });
  }

  #read(r: Selectable<UsersTable>): User {
    const role = r.role as Role;
    // fail closed: an unknown role in the store is a corrupted row, not a new privilege.
    if (!roles.includes(role)) throw new WardenError('internal', `user ${r.name} has unknown role "${r.role}" in the store`);
    return {
      id: r.id,
      name: r.name,
      role,
      groups: this.#codec.readJson(r.groups, 'users.groups'),
      createdAt: this.#codec.readTime(r.createdAt),
      disabledAt: this.#codec.readTimeOrNull(r.disabledAt),
    };
  }
}
