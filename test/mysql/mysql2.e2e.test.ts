import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packedMark } from '../../src/core/recording/packed.ts';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';

/**
 * The `mysql2` driver through the gateway: text queries, prepared statements
 * (`execute`, binary-protocol rows), multiple statements, and policy answers
 * (a block, a masked text query, a masked prepare refused) as driver errors.
 * The token goes as cleartext through mysql2's `authPlugins` hook.
 */
function direct(sql: string): string {
  return execFileSync('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', '3306', '-u', 'root', '-D', 'test', '--batch', '-N', '-e', sql], { encoding: 'utf8' });
}

const T = `w_mysql2_${randomBytes(4).toString('hex')}`;
const rules = [
  { id: 'no-drops', match: { kinds: ['DropStmt'] }, effect: 'block' },
  {
    id: 'mask-pii',
    match: { tables: [`*${T}_pii`] },
    effect: 'mask',
    mask: { columns: [{ name: '*email*', strategy: 'redact' }, { name: 'card*', strategy: 'partial' }, { name: 'born', strategy: 'redact' }], detectors: ['email', 'card'] },
  },
  { id: 'allow-other', match: {}, effect: 'allow' },
];

describe('mysql2 driver through the gateway', () => {
  let t: TestGatewayWithMysql;
  let token: string;
  const opened: mysql.Connection[] = [];
  const connect = async (extra: Partial<mysql.ConnectionOptions> = {}) => {
    const c = await mysql.createConnection({
      host: '127.0.0.1',
      port: t.mysqlPort,
      user: 'mia',
      database: 'maria',
      authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) },
      ...extra,
    });
    opened.push(c);
    return c;
  };

  beforeAll(async () => {
    direct(`create table ${T} (id int primary key, name varchar(20), score double, born date, data blob); insert into ${T} values (1, 'ada', 1.5, '1815-12-10', x'00ff'), (2, null, -2, null, null), (3, 'cy', 0, '2000-01-01', '')`);
    direct(`create table ${T}_pii (id int primary key, email varchar(50), card varchar(20), cardnum bigint unsigned, born date, note text)`);
    direct(`insert into ${T}_pii values (1, 'ada@example.com', '4111111111111111', 5500005555555559, '1815-12-10', 'mail ada@example.com'), (2, null, null, null, null, 'none')`);
    t = await startTestGateway({ rules });
    token = await t.user('mia');
    await t.connection('maria', { type: 'mysql' });
  }, 60_000);

  afterAll(async () => {
    for (const c of opened) await c.end().catch(() => undefined);
    direct(`drop table if exists ${T}, ${T}_pii`);
    await t?.stop();
  });

  it('runs text queries', async () => {
    const c = await connect();
    const [rows] = await c.query(`select id, name, score from ${T} order by id`);
    expect(rows).toEqual([
      { id: 1, name: 'ada', score: 1.5 },
      { id: 2, name: null, score: -2 },
      { id: 3, name: 'cy', score: 0 },
    ]);
  });

  it('runs prepared statements: binary-protocol rows of several types come back intact', async () => {
    const c = await connect({ dateStrings: true });
    const [rows] = await c.execute(`select id, name, score, born, data from ${T} where id >= ? and (name like ? or name is null) order by id`, [1, '%']);
    expect(rows).toEqual([
      { id: 1, name: 'ada', score: 1.5, born: '1815-12-10', data: Buffer.from([0x00, 0xff]) },
      { id: 2, name: null, score: -2, born: null, data: null },
      { id: 3, name: 'cy', score: 0, born: '2000-01-01', data: Buffer.alloc(0) },
    ]);
    // The statement is cached by mysql2 and executed again with other values.
    const [again] = await c.execute(`select id, name, score, born, data from ${T} where id >= ? and (name like ? or name is null) order by id`, [3, 'c%']);
    expect(again).toHaveLength(1);
    const [res] = await c.execute(`update ${T} set score = score + ? where id = ?`, [1, 3]);
    expect(res).toMatchObject({ affectedRows: 1 });
    await c.end();
    const { session, events } = await endedSession(t, 'mia', 'maria');
    const executes = events.filter((e): e is StatementEvent => e.type === 'statement' && e.prepared !== undefined);
    expect(executes.map((e) => e.rowCount)).toEqual([3, 1, 0]);
    expect(executes[0]).toMatchObject({ columns: ['id', 'name', 'score', 'born', 'data'], verdict: { effect: 'allow' } });
    expect(executes[0]!.rows).toEqual([
      // A blob as the live decoder reads every string column: UTF-8 (0xff is not).
      ['1', 'ada', '1.5', '1815-12-10', '\u0000\ufffd'],
      ['2', null, '-2', null, null],
      ['3', 'cy', '0', '2000-01-01', ''],
    ]);
    expect(executes[2]).toMatchObject({ rowsAffected: 1 });
    // Written as packed records (the row packets as they passed), not as JSON lines: read back above as events.
    const file = readFileSync(join(t.gw.core.config.recording.dir, `${session.id}.jsonl`));
    expect(file.includes(packedMark)).toBe(true);
    expect(file.toString('latin1')).not.toContain('{"type":"statement"');
  });

  it('runs multiple statements in one query', async () => {
    const c = await connect({ multipleStatements: true });
    const [results] = await c.query(`select 1 as a; select name from ${T} where id = 1`);
    expect(results).toEqual([[{ a: 1 }], [{ name: 'ada' }]]);
  });

  it('turns policy answers into driver errors; the connection stays usable', async () => {
    const c = await connect();
    await expect(c.query(`drop table ${T}`)).rejects.toMatchObject({ errno: 1142, sqlState: '42000', message: expect.stringContaining('no-drops') });
    await expect(c.execute(`drop table ${T}`)).rejects.toMatchObject({ errno: 1142 });
    const [masked] = await c.query(`select id, email from ${T}_pii where id = 1`);
    expect(masked).toEqual([{ id: 1, email: '****' }]);
    const [[one]] = (await c.query('select 1 as x')) as unknown as [{ x: number }[]];
    expect(one).toEqual({ x: 1 });
    expect(direct(`select count(*) from ${T}`).trim()).toBe('3');
  });

  it('masks binary-protocol rows: strings rewritten, other types NULL, detectors on expressions', async () => {
    const c = await connect({ dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
    const sql = `select id, email, card, cardnum, born, note, upper(email) as u, cardnum + 0 as n from ${T}_pii where id >= ? order by id`;
    const [rows] = await c.execute(sql, [1]);
    expect(rows).toEqual([
      { id: 1, email: '****', card: '****1111', cardnum: null, born: null, note: 'mail ****', u: '****', n: null },
      { id: 2, email: null, card: null, cardnum: null, born: null, note: 'none', u: null, n: null },
    ]);
    await c.end();
    const { events } = await endedSession(t, 'mia', 'maria');
    const st = events.find((e): e is StatementEvent => e.type === 'statement' && e.prepared !== undefined)!;
    expect(st).toMatchObject({ text: sql, rowCount: 2, verdict: { effect: 'mask' } });
    // As masked; the client got NULL for non-strings. `cardnum + 0` derives from cardnum (lineage), so the `card*` rule applies, not the detector.
    expect(st.rows![0]).toEqual(['1', '****', '****1111', '****5559', '****', 'mail ****', '****', '****5559']);
    expect(st.rows![1]).toEqual(['2', null, null, null, null, 'none', null, null]);
    // Only `note` is left to the detectors: the expressions derive from rule columns.
    expect(st.masked!.byDetector).toEqual({ email: 1 });
  });

  it('refuses a wrong token with 1045', async () => {
    await expect(
      mysql.createConnection({ host: '127.0.0.1', port: t.mysqlPort, user: 'mia', database: 'maria', authPlugins: { mysql_clear_password: () => () => Buffer.from('wdn_nope_nope\0') } }),
    ).rejects.toMatchObject({ errno: 1045 });
  });
});
