import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';

/**
 * Column rules through derived tables, CTEs, expressions and UNIONs, with
 * mysql2 through the gateway on a throwaway database of the machine's
 * MariaDB. Its column definitions name the derived table's alias (`t.c`),
 * not `customers.code`, so only the lineage of the text finds the rule's
 * column. The values are not something a content detector recognises, and
 * no detector is on: what masks them is the column rule alone.
 */
const DB = `w_lineage_${randomBytes(4).toString('hex')}`;
const codes = ['ZQX-7731-ALPHA', 'ZQX-8842-BRAVO'];
const rules = [
  { id: 'mask-code', effect: 'mask', match: {}, mask: { columns: [{ column: `${DB}.customers.code`, strategy: 'redact' }] } },
  { id: 'allow-reads', effect: 'allow', match: { classes: ['read'] } },
];

function direct(sql: string): string {
  return execFileSync('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', '3306', '-u', 'root', '--batch', '-N', '-e', sql], { encoding: 'utf8' });
}

describe('MySQL lineage: column rules through derived tables, CTEs and expressions (mysql2)', () => {
  let t: TestGatewayWithMysql;
  let c: mysql.Connection;
  const values = async (sql: string, params?: (string | number)[]) => {
    const [rows] = params === undefined ? await c.query({ sql, rowsAsArray: true }) : await c.execute({ sql, rowsAsArray: true }, params);
    return (rows as unknown[][]).map((r) => r.map((v) => (v === null ? null : String(v))));
  };
  const leaked = (rows: (string | null)[][]) => rows.flat().filter((v) => v !== null && codes.some((code) => v.toUpperCase().includes(code) || v.includes(code.toLowerCase())));

  beforeAll(async () => {
    direct(`create database ${DB}; create table ${DB}.customers (id int primary key, name varchar(20), code varchar(30)); insert into ${DB}.customers values (1, 'ada', '${codes[0]}'), (2, 'bob', '${codes[1]}')`);
    t = await startTestGateway({ rules });
    const token = await t.user('lina');
    await t.connection('lin', { type: 'mysql', database: DB });
    c = await mysql.createConnection({ host: '127.0.0.1', port: t.mysqlPort, user: 'lina', database: 'lin', authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) } });
  }, 60_000);

  afterAll(async () => {
    await c?.end();
    await t?.stop();
    direct(`drop database if exists ${DB}`);
  });

  it('the plain column is masked by its column definition (baseline)', async () => {
    expect(await values('select name, code from customers order by id')).toEqual([['ada', '****'], ['bob', '****']]);
  });

  it.each([
    ['a derived table alias', 'select c from (select code as c from customers) t order by c'],
    ['nested derived tables', 'select z from (select y as z from (select code y from customers) a) b'],
    ['an expression over a derived column', 'select lower(c) from (select code c from customers) d'],
    ['a CTE', 'with w as (select code x from customers) select x from w'],
    ['a CTE with a column list', 'with w (k) as (select code from customers) select k from w'],
    ['star of a derived star', 'select * from (select * from customers) t'],
    ['a qualified star of a derived table', 'select d.* from (select id, code as secret from customers) d'],
    ['a scalar subquery', 'select (select max(code) from customers) as m'],
    ['a UNION branch', `select name from customers union all select c from (select code c from customers) d`],
    ['a concat with other columns', 'select concat(n, ":", c) from (select name n, code c from customers) d'],
  ])('masks the rule column through %s', async (_what, sql) => {
    const rows = await values(sql);
    expect(rows.length).toBeGreaterThan(0);
    expect(leaked(rows)).toEqual([]);
  });

  it('columns that do not derive from the rule column stay readable', async () => {
    expect(await values('select n, c from (select name n, code c from customers) d order by n')).toEqual([['ada', '****'], ['bob', '****']]);
    expect(await values('select * from (select * from customers) t order by id')).toEqual([['1', 'ada', '****'], ['2', 'bob', '****']]);
  });

  it('prepared statements (binary rows) get the same lineage', async () => {
    const rows = await values('select c, n from (select code c, name n from customers) d where length(n) = ? order by n', [3]);
    expect(rows).toEqual([['****', 'ada'], ['****', 'bob']]);
  });

  it('each result of a multi-statement text gets its own statement\'s lineage', async () => {
    const token = await t.user('lina2');
    const m = await mysql.createConnection({ host: '127.0.0.1', port: t.mysqlPort, user: 'lina2', database: 'lin', multipleStatements: true, authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) } });
    try {
      const [sets] = await m.query({ sql: 'select name from customers order by id; select c from (select code c from customers) d', rowsAsArray: true });
      const [first, second] = sets as unknown as unknown[][][];
      expect(first).toEqual([['ada'], ['bob']]);
      expect(second).toEqual([['****'], ['****']]);
    } finally {
      await m.end();
    }
  });
});
