import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from './index.ts';
import { openPostgres } from './postgres.ts';
import { testPgUrl } from './testing.ts';

// The PostgreSQL store's migrations introspect its own schema only: other schemas of the database,
// even ones dropped while a gateway starts (parallel test runs, other Wardens), neither show nor break it.
describe('PostgreSQL store introspection', () => {
  const made: string[] = [];
  const fresh = (prefix: string) => {
    const schema = `${prefix}_${randomBytes(5).toString('hex')}`;
    made.push(schema);
    return schema;
  };

  afterAll(async () => {
    const c = new pg.Client({ connectionString: testPgUrl });
    await c.connect();
    for (const s of made) await c.query(`drop schema if exists "${s}" cascade`);
    await c.end();
  });

  it('opens and migrates stores while other schemas of the database are created and dropped', async () => {
    let stop = false;
    // Each loop makes a schema with a serial column (what Kysely's own introspector looked up by name) and drops it.
    const churn = async () => {
      const c = new pg.Client({ connectionString: testPgUrl });
      await c.connect();
      try {
        while (!stop) {
          const s = `warden_churn_${randomBytes(5).toString('hex')}`;
          await c.query(`create schema ${s}; create table ${s}.t (id serial primary key, v text)`);
          await c.query(`drop schema ${s} cascade`);
        }
      } finally {
        await c.end();
      }
    };
    const churning = [churn(), churn()];
    const opened: string[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const schema = fresh('warden_intro');
        // Opened twice: a first migration, then a store already at the latest one.
        for (let again = 0; again < 2; again++) {
          const store = await openStore({ url: testPgUrl, sqlitePath: '', pgSchema: schema });
          await store.close();
        }
        opened.push(schema);
      }
    } finally {
      stop = true;
      await Promise.all(churning);
    }
    expect(opened).toHaveLength(8);
  }, 60_000);

  it('lists the store schema’s tables and columns, and nothing of another schema', async () => {
    const schema = fresh('warden_intro');
    const other = fresh('warden_other');
    const c = new pg.Client({ connectionString: testPgUrl });
    await c.connect();
    await c.query(`create schema ${other}; create table ${other}.elsewhere (id int)`);
    await c.end();
    await (await openStore({ url: testPgUrl, sqlitePath: '', pgSchema: schema })).close();
    const db = await openPostgres(testPgUrl, schema);
    try {
      expect(await db.introspection.getSchemas()).toEqual([{ name: schema }]);
      const tables = await db.introspection.getTables();
      const names = tables.map((t) => t.name);
      expect(names).toContain('users');
      expect(names).toContain('kysely_migration');
      expect(names).not.toContain('elsewhere');
      expect(tables.every((t) => t.schema === schema && !t.isView)).toBe(true);
      const users = tables.find((t) => t.name === 'users')!;
      expect(users.columns.find((col) => col.name === 'id')).toMatchObject({ isNullable: false });
      expect((await db.introspection.getMetadata()).tables.map((t) => t.name)).toEqual(names);
    } finally {
      await db.destroy();
    }
  });
});
