import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { mariadb } from './client.ts';

/**
 * Column rules on a base table reach what is read through views: MariaDB's
 * column definitions name the view (org_table = the view), so only the
 * view's definition, learned from the target's information_schema over the
 * gateway's catalog connection, leads to `customers.code`. Through mysql2
 * (text and prepared, binary rows) and the mariadb CLI, on a throwaway
 * database of the machine's MariaDB. The values are nothing a content
 * detector knows, and no detector is on: only the column rule masks them.
 */
const DB = `w_views_${randomBytes(4).toString('hex')}`;
/** A target user with SELECT but not SHOW VIEW: information_schema shows it empty view definitions. */
const READER = `${DB}_r`;
const codes = ['ZQX-7731-ALPHA', 'ZQX-8842-BRAVO'];
const rules = [
  { id: 'mask-code', effect: 'mask', match: {}, mask: { columns: [{ column: `${DB}.customers.code`, strategy: 'redact' }] } },
  { id: 'allow-reads', effect: 'allow', match: { classes: ['read'] } },
  { id: 'allow-ddl', effect: 'allow', match: { classes: ['ddl'] } },
];

function direct(sql: string): string {
  return execFileSync('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', '3306', '-u', 'root', '--batch', '-N', '-e', sql], { encoding: 'utf8' });
}

describe('MySQL masking through views (mysql2, mariadb CLI)', () => {
  let t: TestGatewayWithMysql;
  let c: mysql.Connection;
  let token: string;
  const values = async (sql: string, params?: (string | number)[]) => {
    const [rows] = params === undefined ? await c.query({ sql, rowsAsArray: true }) : await c.execute({ sql, rowsAsArray: true }, params);
    return (rows as unknown[][]).map((r) => r.map((v) => (v === null ? null : String(v))));
  };
  const leaked = (rows: (string | null)[][]) => rows.flat().filter((v) => v !== null && codes.some((code) => v.toUpperCase().includes(code) || v.toUpperCase().includes(code.replaceAll('-', ''))));

  beforeAll(async () => {
    direct(
      `create database ${DB}; use ${DB}; ` +
        `create table customers (id int primary key, name varchar(20), code varchar(30)); ` +
        `insert into customers values (1, 'ada', '${codes[0]}'), (2, 'bob', '${codes[1]}'); ` +
        `create view customer_view as select id, name, code from customers; ` +
        `create view alias_view as select c.id, c.code as secret, concat(c.name, '/', c.code) as label, upper(c.code) as u from customers c; ` +
        `create view nested_view as select secret as s2, lower(label) as l, id from alias_view; ` +
        `create view list_view (a, b) as select code, name from customers; ` +
        `create view fresh_view as select id, code from customers; ` +
        // MariaDB 10.6+ JSON_TABLE: a definition the lineage does not follow (fail closed: all its columns masked).
        `create view jt_view as select c.id, c.code, j.x, c.name from customers c, json_table('[1]', '$[*]' columns (x int path '$')) j`,
    );
    direct(`create user '${READER}'@'%' identified by 'pw-${READER}'; grant select on ${DB}.* to '${READER}'@'%'`);
    t = await startTestGateway({ rules });
    token = await t.user('vera');
    await t.connection('vw', { type: 'mysql', database: DB });
    c = await mysql.createConnection({ host: '127.0.0.1', port: t.mysqlPort, user: 'vera', database: 'vw', authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) } });
  }, 60_000);

  afterAll(async () => {
    await c?.end();
    await t?.stop();
    direct(`drop database if exists ${DB}; drop user if exists '${READER}'@'%'`);
  });

  it('a view over the rule table: its column is masked, the others stay readable', async () => {
    expect(await values('select id, name, code from customer_view order by id')).toEqual([['1', 'ada', '****'], ['2', 'bob', '****']]);
    expect(await values(`select * from ${DB}.customer_view order by id`)).toEqual([['1', 'ada', '****'], ['2', 'bob', '****']]);
  });

  it.each([
    ['an alias inside the view', 'select secret from alias_view'],
    ['an expression inside the view', 'select label, u from alias_view'],
    ['a nested view', 'select s2, l from nested_view'],
    ['an expression over a nested view column', "select concat('x', reverse(s2)) from nested_view"],
    ['a derived table over a view', 'select k from (select s2 as k from nested_view) d'],
    ['a view with a column list', 'select a from list_view'],
    ['a join of a view and its base table', 'select v.u, c.name from alias_view v join customers c on c.id = v.id'],
  ])('masks the base column through %s', async (_what, sql) => {
    const rows = await values(sql);
    expect(rows.length).toBeGreaterThan(0);
    expect(leaked(rows)).toEqual([]);
    expect(rows.flat()).toContain('****');
  });

  it('columns of a view that do not derive from the rule column stay readable', async () => {
    expect(await values('select id, l from nested_view order by id')).toEqual([['1', '****'], ['2', '****']]);
    expect(await values('select id, b from list_view join customers on code = a order by id')).toEqual([['1', 'ada'], ['2', 'bob']]);
  });

  it('prepared statements (binary rows) through a nested view', async () => {
    expect(await values('select s2, id from nested_view where id = ? order by id', [1])).toEqual([['****', '1']]);
    expect(await values('select upper(s2) as x, id from nested_view where id > ? order by id', [0])).toEqual([['****', '1'], ['****', '2']]);
  });

  it('fail closed: a view whose definition the gateway cannot follow has every column masked', async () => {
    // typeCast off: mysql2 would read the masked text of an INT column as a number.
    const [rows] = await c.query({ sql: 'select id, x, name from jt_view order by id', rowsAsArray: true, typeCast: false });
    expect((rows as Buffer[][]).map((r) => r.map(String))).toEqual([['****', '****', '****'], ['****', '****', '****']]);
    // Binary rows: a masked integer cannot be text, so it is NULL.
    expect(await values('select id, code from jt_view where id = ?', [1])).toEqual([[null, '****']]);
  });

  it('a view created through the session is seen at once (DDL makes the session ask the catalog again)', async () => {
    await expect(values('select k from late_view')).rejects.toThrow(/doesn't exist/);
    await c.query('create view late_view as select code as k from customers');
    const rows = await values('select k from late_view');
    expect(rows).toEqual([['****'], ['****']]);
  });

  it('the catalog lookup runs on a connection of its own, opened on first need and closed with the session', async () => {
    // The client's connection is left alone (FOUND_ROWS(), ROW_COUNT(), warnings, locks): the gateway opens a second one.
    const connections = () => Number(direct(`select count(*) from information_schema.processlist where db = '${DB}'`).trim());
    const until = async (n: number) => {
      for (let i = 0; i < 100 && connections() !== n; i++) await new Promise((r) => setTimeout(r, 50));
      return connections();
    };
    const before = connections();
    const s = await mysql.createConnection({ host: '127.0.0.1', port: t.mysqlPort, user: 'vera', database: 'vw', authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) } });
    try {
      await s.query('select 1'); // names no relation: nothing to look up
      expect(await until(before + 1)).toBe(before + 1);
      const [rows] = await s.query({ sql: 'select id, code from fresh_view where id = 1', rowsAsArray: true });
      expect(rows).toEqual([[1, '****']]);
      expect(await until(before + 2)).toBe(before + 2);
    } finally {
      await s.end();
    }
    expect(await until(before)).toBe(before);
  });

  it('fail closed: a target user without SHOW VIEW reads views with every column masked, tables as usual', async () => {
    await t.connection('vw-reader', { type: 'mysql', database: DB, username: READER, password: `pw-${READER}` });
    const r = await mysql.createConnection({ host: '127.0.0.1', port: t.mysqlPort, user: 'vera', database: 'vw-reader', authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) } });
    try {
      const [viewRows] = await r.query({ sql: 'select name, code from customer_view order by id', rowsAsArray: true });
      expect(viewRows).toEqual([['****', '****'], ['****', '****']]);
      const [tableRows] = await r.query({ sql: 'select name, code from customers order by id', rowsAsArray: true });
      expect(tableRows).toEqual([['ada', '****'], ['bob', '****']]);
    } finally {
      await r.end();
    }
  });

  it('a catalog connection the target closed is opened anew for the next lookup', async () => {
    const ids = () => new Set(direct(`select id from information_schema.processlist where db = '${DB}'`).split('\n').filter(Boolean));
    const before = ids();
    const s = await mysql.createConnection({ host: '127.0.0.1', port: t.mysqlPort, user: 'vera', database: 'vw', authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) } });
    try {
      const [[own]] = (await s.query({ sql: 'select connection_id()', rowsAsArray: true }))[0] as unknown as [[number]];
      await s.query('select code from customer_view');
      const catalog = [...ids()].filter((id) => !before.has(id) && id !== String(own));
      expect(catalog).toHaveLength(1);
      direct(`kill ${catalog[0]}`);
      // list_view is new to this session: asked on a new catalog connection, so its other column stays readable.
      const [rows] = await s.query({ sql: 'select a, b from list_view order by b', rowsAsArray: true });
      expect(rows).toEqual([['****', 'ada'], ['****', 'bob']]);
    } finally {
      await s.end();
    }
  });

  it('the mariadb CLI sees the same, and the recording counts the masked values by rule', async () => {
    const r = await mariadb(t.mysqlPort, 'vera', token, 'vw', ['-e', 'select s2, id from nested_view order by id']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trimEnd().split('\n').slice(1)).toEqual(['****\t1', '****\t2']);
    const { events } = await endedSession(t, 'vera', 'vw');
    const st = events.find((e): e is StatementEvent => e.type === 'statement' && e.text.includes('nested_view'))!;
    expect(st.masked!.byColumn).toEqual({ s2: { 'mask-code': 2 } });
  });
});
