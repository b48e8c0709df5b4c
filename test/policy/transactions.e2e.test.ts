import pg from 'pg';
import { serialize } from 'pg-protocol';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gatewayUrl, realPg, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { psql } from '../helpers/psql.ts';
import { errorCodes, RawSession } from './raw-session.ts';

/**
 * A stopped statement through the real gateway leaves the session exactly as
 * PostgreSQL would after a failed statement: the transaction block fails,
 * the extended protocol skips to Sync, a stopped Parse leaves no prepared
 * statement behind, and outside a transaction the session carries on.
 */
const table = `w_policy_txn_${process.pid}`;
const rules = [{ id: 'test:no-delete', effect: 'block', match: { kinds: ['DeleteStmt'] }, message: 'deleting rows is not allowed in this test' }];
const blocked = `blocked by policy rule "test:no-delete": deleting rows is not allowed in this test`;

let t: TestGateway;
let token: string;
let direct: pg.Client;
let client: pg.Client;

beforeAll(async () => {
  direct = new pg.Client(realPg);
  await direct.connect();
  await direct.query(`drop table if exists ${table}; create table ${table} (id int primary key, v text)`);
  t = await startTestGateway({ rules }); // besides the rule, the shipped defaults: reads allowed, writes reviewed
  token = await t.user('tom');
  await t.connection('pg');
  client = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'tom', password: token, database: 'pg' });
  await client.connect();
});
afterAll(async () => {
  await client?.end().catch(() => {});
  await t?.stop();
  await direct?.query(`drop table if exists ${table}`);
  await direct?.end();
});
beforeEach(async () => {
  await direct.query(`truncate ${table}; insert into ${table} values (1, 'a'), (2, 'b'), (3, 'c')`);
});
afterEach(async () => {
  await client.query('rollback'); // a failed test must not leave the next one inside its transaction
});

const rowsLeft = async () => Number((await direct.query(`select count(*) as n from ${table}`)).rows[0].n);

async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected the statement to fail');
}

describe('a stopped statement and transaction state', () => {
  it('outside a transaction: 42501 with the rule and its message, and the session carries on', async () => {
    const err = await failure(client.query(`delete from ${table}`));
    expect(err).toMatchObject({ code: '42501', message: expect.stringContaining(blocked) });
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect((await client.query(`select count(*)::int as n from ${table}`)).rows).toEqual([{ n: 3 }]);
    expect(await rowsLeft()).toBe(3);
  });

  it('inside BEGIN: the block fails the transaction (25P02 next), COMMIT answers ROLLBACK', async () => {
    await client.query('begin');
    expect((await client.query(`select count(*)::int as n from ${table}`)).rows).toEqual([{ n: 3 }]);
    expect(await failure(client.query(`delete from ${table} where id = 1`))).toMatchObject({ code: '42501', message: expect.stringContaining(blocked) });
    expect(await failure(client.query('select 1'))).toMatchObject({ code: '25P02' });
    expect((await client.query('commit')).command).toBe('ROLLBACK');
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(await rowsLeft()).toBe(3);
  });

  it('inside a savepoint: ROLLBACK TO SAVEPOINT recovers, and the transaction commits', async () => {
    await client.query('begin');
    await client.query('savepoint s1');
    expect(await failure(client.query(`delete from ${table}`))).toMatchObject({ code: '42501' });
    await client.query('rollback to savepoint s1');
    expect((await client.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    expect((await client.query('commit')).command).toBe('COMMIT');
    expect(await rowsLeft()).toBe(3);
  });

  it('a multi-statement Query with one stopped statement runs none of it', async () => {
    const err = await failure(client.query(`select 1; delete from ${table}; select 2`));
    expect(err).toMatchObject({ code: '42501', message: expect.stringContaining(blocked) });
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(await rowsLeft()).toBe(3);
  });
});

describe('the extended protocol', () => {
  it('a parameterised query is stopped at Parse with 42501; the next one works', async () => {
    expect(await failure(client.query(`delete from ${table} where id = $1`, [1]))).toMatchObject({ code: '42501', message: expect.stringContaining(blocked) });
    expect((await client.query('select $1::int as x', [5])).rows).toEqual([{ x: 5 }]);
    expect(await rowsLeft()).toBe(3);
  });

  it('inside BEGIN a stopped Parse fails the transaction like a simple Query', async () => {
    await client.query('begin');
    expect(await failure(client.query(`delete from ${table} where id = $1`, [2]))).toMatchObject({ code: '42501' });
    expect(await failure(client.query('select $1::int as x', [5]))).toMatchObject({ code: '25P02' });
    expect((await client.query('commit')).command).toBe('ROLLBACK');
    expect(await rowsLeft()).toBe(3);
  });

  it('a named statement that was stopped cannot be executed later', async () => {
    // The pg driver, named: stopped on each attempt.
    const named = { name: 'w_del', text: `delete from ${table} where id = $1`, values: [1] };
    expect(await failure(client.query(named))).toMatchObject({ code: '42501' });
    expect((await failure(client.query(named))).code).toMatch(/^(42501|26000)$/);

    // On the wire: Parse alone, then Bind/Execute of the name it would have had.
    const raw = await RawSession.open(t.pgPort, 'tom', token, 'pg');
    try {
      raw.send(serialize.parse({ name: 'del', text: `delete from ${table} where id = $1` }), serialize.sync());
      const parsed = await raw.untilReady();
      expect(errorCodes(parsed)).toEqual(['42501']);
      expect(parsed.some((m) => m.name === 'parseComplete')).toBe(false);

      raw.send(serialize.bind({ statement: 'del', values: ['1'] }), serialize.execute({}), serialize.sync());
      const executed = await raw.untilReady();
      expect(errorCodes(executed)).toEqual(['26000']); // prepared statement "del" does not exist
      expect(executed.some((m) => m.name === 'commandComplete')).toBe(false);

      // SQL-level EXECUTE of the same name: the gateway does not know it, so it is stopped too.
      raw.send(serialize.query('execute del(1)'));
      expect(errorCodes(await raw.untilReady())).toEqual(['42501']);

      // A batch: an allowed Parse, a stopped one, and everything after it skipped until Sync.
      raw.send(
        serialize.parse({ name: 'ok', text: 'select 1' }),
        serialize.parse({ name: 'del2', text: `delete from ${table}` }),
        serialize.bind({ statement: 'del2' }),
        serialize.execute({}),
        serialize.sync(),
      );
      const batch = await raw.untilReady();
      expect(batch.map((m) => m.name)).toEqual(['parseComplete', 'error', 'readyForQuery']);
      expect(errorCodes(batch)).toEqual(['42501']);
      raw.send(serialize.bind({ statement: 'ok' }), serialize.execute({}), serialize.sync());
      expect((await raw.untilReady()).map((m) => m.name)).toEqual(['bindComplete', 'dataRow', 'commandComplete', 'readyForQuery']);
    } finally {
      await raw.close();
    }
    expect(await rowsLeft()).toBe(3);
  });

  it('SQL PREPARE of a stopped statement leaves nothing to EXECUTE', async () => {
    expect(await failure(client.query(`prepare w_sqlp as delete from ${table}`))).toMatchObject({ code: '42501' });
    expect(await failure(client.query('execute w_sqlp'))).toMatchObject({ code: '42501' });
    expect((await client.query(`select count(*)::int as n from ${table}`)).rows).toEqual([{ n: 3 }]);
    expect(await rowsLeft()).toBe(3);
  });
});

describe('psql', () => {
  it('shows the block message as an ERROR and carries on with the script', async () => {
    const r = await psql([gatewayUrl(t, 'tom', token, 'pg'), '-At', '-f', '-'], {
      input: [`delete from ${table};`, `select 'still-here-' || count(*) from ${table};`, 'begin;', `delete from ${table} where id = 1;`, 'select 1;', 'commit;', "select 'after-commit';"].join('\n') + '\n',
    });
    expect(r.code).toBe(0);
    const errors = r.stderr.split('\n').filter((l) => l.includes('ERROR:'));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toContain(`ERROR:  ${blocked}`);
    expect(errors[1]).toContain(`ERROR:  ${blocked}`);
    expect(errors[2]).toContain('ERROR:  current transaction is aborted');
    expect(r.stdout).toContain('still-here-3');
    expect(r.stdout).toContain('ROLLBACK');
    expect(r.stdout).toContain('after-commit');
    expect(await rowsLeft()).toBe(3);
  });
});
