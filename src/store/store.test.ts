import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../core/connections/types.ts';
import { WardenError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { openStore, type Store, type StoreOptions } from './index.ts';
import { storeBackends, testPgUrl as pgUrl } from './testing.ts';


const backends = storeBackends;

const t0 = new Date('2026-03-01T10:00:00.123Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const unique = (p: string) => `${p}-${randomBytes(4).toString('hex')}`;

function connection(name: string, over: Partial<Connection> = {}): Connection {
  return {
    id: newId('con'),
    name,
    type: 'postgres',
    host: 'db.internal',
    port: 5432,
    database: 'app',
    username: 'app_ro',
    sealedSecret: 'v1:abcd:x:y:z',
    tls: 'prefer',
    tags: ['prod', 'eu'],
    agent: null,
    createdAt: t0,
    ...over,
  };
}

describe.each(backends)('store on $name', (backend) => {
  let store: Store;
  let opts: StoreOptions;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ opts, cleanup } = await backend.setup());
    store = await openStore(opts);
  });
  afterAll(async () => {
    await store?.close();
    await cleanup?.();
  });

  it('reports its kind', () => {
    expect(store.kind).toBe(backend.name);
  });

  describe('users', () => {
    it('creates and reads back users with dates and groups intact', async () => {
      const name = unique('alice');
      const created = await store.users.create({ id: newId('usr'), name, role: 'auditor', groups: ['dba', 'oncall'], createdAt: t0 });
      const byName = await store.users.byName(name);
      expect(byName).toEqual(created);
      expect(byName?.createdAt).toBeInstanceOf(Date);
      expect(byName?.createdAt.getTime()).toBe(t0.getTime());
      expect(byName?.groups).toEqual(['dba', 'oncall']);
      expect(byName?.disabledAt).toBeNull();
      expect(await store.users.byId(created.id)).toEqual(created);
      expect((await store.users.list()).map((u) => u.name)).toContain(name);
    });

    it('defaults role to user and groups to empty', async () => {
      const u = await store.users.create({ id: newId('usr'), name: unique('bob'), createdAt: t0 });
      expect(u.role).toBe('user');
      expect((await store.users.byId(u.id))?.groups).toEqual([]);
    });

    it('refuses a second user with the same name', async () => {
      const name = unique('carol');
      await store.users.create({ id: newId('usr'), name, createdAt: t0 });
      const err = await store.users.create({ id: newId('usr'), name, createdAt: t0 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WardenError);
      expect((err as WardenError).kind).toBe('bad_request');
      expect((err as WardenError).message).toContain(`a user named ${name} already exists`);
    });

    it('updates role, groups and disabledAt, leaving the rest alone', async () => {
      const u = await store.users.create({ id: newId('usr'), name: unique('dave'), groups: ['a'], createdAt: t0 });
      const updated = await store.users.update(u.id, { role: 'admin', disabledAt: at(5000) });
      expect(updated).toMatchObject({ role: 'admin', groups: ['a'], disabledAt: at(5000) });
      const again = await store.users.update(u.id, { groups: ['b', 'c'], disabledAt: null });
      expect(again).toMatchObject({ role: 'admin', groups: ['b', 'c'], disabledAt: null });
      expect(await store.users.update(u.id, {})).toEqual(again);
      expect(await store.users.update('usr_missing', { role: 'admin' })).toBeUndefined();
    });

    it('removes a user together with their tokens', async () => {
      const u = await store.users.create({ id: newId('usr'), name: unique('erin'), createdAt: t0 });
      const tokenId = newId('tok');
      await store.tokens.create({ id: tokenId, userId: u.id, name: 'ci', secretHash: 'ab', createdAt: t0, expiresAt: null, revokedAt: null, lastUsedAt: null });
      expect(await store.users.remove(u.id)).toBe(true);
      expect(await store.users.byId(u.id)).toBeUndefined();
      expect(await store.tokens.byId(tokenId)).toBeUndefined();
      expect(await store.users.remove(u.id)).toBe(false);
    });
  });

  describe('tokens', () => {
    it('stores, lists, revokes once and touches tokens', async () => {
      const u = await store.users.create({ id: newId('usr'), name: unique('frank'), createdAt: t0 });
      const a = { id: newId('tok'), userId: u.id, name: 'laptop', source: 'saml' as const, secretHash: 'aa', createdAt: t0, expiresAt: at(3_600_000), revokedAt: null, lastUsedAt: null };
      const b = { ...a, id: newId('tok'), name: 'ci', source: 'admin' as const, createdAt: at(1), expiresAt: null };
      await store.tokens.create(a);
      await store.tokens.create(b);
      expect(await store.tokens.byId(a.id)).toEqual(a);
      expect(await store.tokens.byId(b.id)).toEqual(b);
      expect((await store.tokens.listForUser(u.id)).map((t) => t.name)).toEqual(['laptop', 'ci']);

      expect(await store.tokens.revoke(a.id, at(10))).toBe(true);
      expect(await store.tokens.revoke(a.id, at(20))).toBe(false);
      expect((await store.tokens.byId(a.id))?.revokedAt).toEqual(at(10));
      expect(await store.tokens.revoke('tok_missing', at(10))).toBe(false);

      await store.tokens.touch(b.id, at(30));
      expect((await store.tokens.byId(b.id))?.lastUsedAt).toEqual(at(30));
    });
  });

  describe('connections', () => {
    it('round-trips a connection and refuses a duplicate name', async () => {
      const c = connection(unique('pg-prod'));
      expect(await store.connections.create(c)).toEqual(c);
      expect(await store.connections.byName(c.name)).toEqual(c);
      expect((await store.connections.list()).map((x) => x.name)).toContain(c.name);
      const err = await store.connections.create(connection(c.name)).catch((e: unknown) => e);
      expect((err as WardenError).kind).toBe('bad_request');
      expect((err as WardenError).message).toContain(`a connection named ${c.name} already exists`);
    });

    it('patches only the given fields, including setting nullables to null', async () => {
      const c = connection(unique('ssh-box'), { type: 'ssh', port: 22, database: null, agent: 'eu-agent' });
      await store.connections.create(c);
      const updated = await store.connections.update(c.name, { sealedSecret: null, tags: [], agent: null, port: 2222 });
      expect(updated).toEqual({ ...c, sealedSecret: null, tags: [], agent: null, port: 2222 });
      expect(await store.connections.update('missing', { port: 1 })).toBeUndefined();
      expect(await store.connections.remove(c.name)).toBe(true);
      expect(await store.connections.remove(c.name)).toBe(false);
      expect(await store.connections.byName(c.name)).toBeUndefined();
    });

    it('keeps the agent group serving a connection, and clears it (migration 0010)', async () => {
      const c = connection(unique('by-group'), { agent: null, agentGroup: 'dc1' });
      expect(await store.connections.byName((await store.connections.create(c)).name)).toEqual(c);
      const moved = await store.connections.update(c.name, { agent: 'east', agentGroup: undefined });
      const { agentGroup: _, ...rest } = c;
      expect(moved).toEqual({ ...rest, agent: 'east' });
    });
  });

  describe('sessions', () => {
    const start = (id: string, userName: string, connectionName: string, startedAt: Date) => ({
      id,
      userId: 'usr_x',
      userName,
      connectionName,
      protocol: 'postgres',
      clientAddress: '10.0.0.1:50000',
      startedAt,
    });

    it('starts, ends once, and keeps the first end', async () => {
      const id = newId('ses');
      await store.sessions.start(start(id, unique('u'), unique('c'), t0));
      expect(await store.sessions.get(id)).toMatchObject({ endedAt: null, endReason: null, statements: 0, bytesToClient: 0 });
      const big = 5_000_000_000; // beyond int32: the counters are 64-bit
      await store.sessions.end(id, { endedAt: at(1000), bytesFromClient: 10, bytesToClient: big, statements: 3, endReason: 'client_closed' });
      await store.sessions.end(id, { endedAt: at(2000), bytesFromClient: 99, bytesToClient: 99, statements: 99, endReason: 'killed' });
      expect(await store.sessions.get(id)).toMatchObject({
        endedAt: at(1000),
        bytesFromClient: 10,
        bytesToClient: big,
        statements: 3,
        endReason: 'client_closed',
      });
      await expect(store.sessions.end('ses_missing', { endedAt: t0, bytesFromClient: 0, bytesToClient: 0, statements: 0, endReason: 'x' })).resolves.toBeUndefined();
      expect(await store.sessions.get('ses_missing')).toBeUndefined();
    });

    it('lists newest first with filters and a limit', async () => {
      const user = unique('u');
      const other = unique('u');
      const conn = unique('c');
      const ids = [newId('ses'), newId('ses'), newId('ses'), newId('ses')];
      await store.sessions.start(start(ids[0]!, user, conn, at(0)));
      await store.sessions.start(start(ids[1]!, user, conn, at(2000)));
      await store.sessions.start(start(ids[2]!, user, unique('c'), at(1000)));
      await store.sessions.start(start(ids[3]!, other, conn, at(3000)));
      await store.sessions.end(ids[1]!, { endedAt: at(2500), bytesFromClient: 0, bytesToClient: 0, statements: 0, endReason: 'client_closed' });

      expect((await store.sessions.list({ userName: user })).map((s) => s.id)).toEqual([ids[1], ids[2], ids[0]]);
      expect((await store.sessions.list({ connectionName: conn })).map((s) => s.id)).toEqual([ids[3], ids[1], ids[0]]);
      expect((await store.sessions.list({ userName: user, connectionName: conn })).map((s) => s.id)).toEqual([ids[1], ids[0]]);
      expect((await store.sessions.list({ userName: user, openOnly: true })).map((s) => s.id)).toEqual([ids[2], ids[0]]);
      expect((await store.sessions.list({ userName: user, limit: 1 })).map((s) => s.id)).toEqual([ids[1]]);
      const all = await store.sessions.list();
      expect(all.length).toBeGreaterThanOrEqual(4);
      for (let i = 1; i < all.length; i++) expect(all[i - 1]!.startedAt.getTime()).toBeGreaterThanOrEqual(all[i]!.startedAt.getTime());
    });
  });

  it('reopens an existing store without re-running migrations and keeps the data', async () => {
    const name = unique('persist');
    await store.users.create({ id: newId('usr'), name, createdAt: t0 });
    const second = await openStore(opts);
    try {
      expect((await second.users.byName(name))?.createdAt).toEqual(t0);
    } finally {
      await second.close();
    }
  });
});

describe('openStore options', () => {
  it('rejects a URL that is neither empty nor postgres, without echoing the password', async () => {
    const err = await openStore({ url: 'mysql://root:hunter2@db/x', sqlitePath: '', pgSchema: 'warden' }).catch((e: unknown) => e);
    expect((err as WardenError).kind).toBe('bad_request');
    expect((err as WardenError).message).not.toContain('hunter2');
  });

  it('rejects a PostgreSQL schema that is not a plain identifier', async () => {
    const err = await openStore({ url: pgUrl, sqlitePath: '', pgSchema: 'x"; drop table y; --' }).catch((e: unknown) => e);
    expect((err as WardenError).kind).toBe('bad_request');
  });

  it('lets several gateways open (and migrate) a fresh PostgreSQL schema at once', async () => {
    const schema = `warden_test_${randomBytes(6).toString('hex')}`;
    const opts = { url: pgUrl, sqlitePath: '', pgSchema: schema };
    const results = await Promise.allSettled([openStore(opts), openStore(opts), openStore(opts)]);
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    } finally {
      for (const r of results) if (r.status === 'fulfilled') await r.value.close();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  });

  it('puts every table in the chosen PostgreSQL schema', async () => {
    const schema = `warden_test_${randomBytes(6).toString('hex')}`;
    const store = await openStore({ url: pgUrl, sqlitePath: '', pgSchema: schema });
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ table_name: string }>(
        'select table_name from information_schema.tables where table_schema = $1 order by table_name',
        [schema],
      );
      expect(rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['connections', 'sessions', 'tokens', 'users', 'kysely_migration']),
      );
    } finally {
      await store.close();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  });
});
