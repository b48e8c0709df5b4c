import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { findLeaks, type Secrets } from '../policy/leaks.ts';
import { mariadb } from './client.ts';
import { RawClient } from './raw.ts';

/**
 * Masking of MySQL text result rows through the real gateway and the real
 * `mariadb` CLI: a column rule by `schema.table.column` (from the column
 * definitions' org_table/org_name), one by name glob, followed through
 * expressions by lineage, and the content detectors for values no column
 * rule reaches (literals).
 */
function direct(sql: string): string {
  return execFileSync('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', '3306', '-u', 'root', '-D', 'test', '--batch', '-N', '-e', sql], { encoding: 'utf8' });
}

const T = `w_mysql_mask_${randomBytes(4).toString('hex')}`;
const secrets: Secrets = {
  emails: ['alice.wonder@example.com', 'bob.builder@example.org', 'cleo@example.net'],
  cards: ['4111111111111111', '5500005555555559', '4012888888881881'],
  ssns: [],
  ibans: [],
};
const rules = [
  {
    id: 'mask-pii',
    effect: 'mask',
    match: {},
    mask: {
      columns: [
        { name: '*email*', strategy: 'redact' },
        { column: `test.${T}.card`, strategy: 'partial' },
      ],
      detectors: 'all',
    },
  },
  { id: 'allow-reads', effect: 'allow', match: { classes: ['read'] } },
];

/** The CLI's --batch output as rows of cells (header line dropped). */
const rowsOf = (stdout: string) => stdout.trimEnd().split('\n').slice(1).map((l) => l.split('\t'));

describe('MySQL masking of text rows', () => {
  let t: TestGatewayWithMysql;
  let token: string;
  const run = (sql: string, args: string[] = []) => mariadb(t.mysqlPort, 'maya', token, 'maria', [...args, '-e', sql]);

  beforeAll(async () => {
    direct(`create table ${T} (id int primary key, name varchar(50), email varchar(100), card varchar(30))`);
    direct(`insert into ${T} values ${secrets.emails.map((e, i) => `(${i + 1}, 'n${i + 1}', '${e}', '${secrets.cards[i]}')`).join(', ')}, (4, 'nobody', null, null)`);
    t = await startTestGateway({ rules });
    token = await t.user('maya');
    await t.connection('maria', { type: 'mysql' });
  }, 60_000);

  afterAll(async () => {
    direct(`drop table if exists ${T}`);
    await t?.stop();
  });

  it('masks columns by schema.table.column and by name; other values and NULLs pass unchanged', async () => {
    const r = await run(`select id, name, email, card from ${T} order by id`);
    expect(r.stderr).toBe('');
    expect(rowsOf(r.stdout)).toEqual([
      ['1', 'n1', '****', '****1111'],
      ['2', 'n2', '****', '****5559'],
      ['3', 'n3', '****', '****1881'],
      ['4', 'nobody', 'NULL', 'NULL'],
    ]);
    const { events } = await endedSession(t, 'maya', 'maria');
    const st = events.find((e): e is StatementEvent => e.type === 'statement' && e.text.includes(T))!;
    expect(st.verdict).toMatchObject({ effect: 'mask' });
    expect(st.rows![0]).toEqual(['1', 'n1', '****', '****1111']); // recorded as delivered
    expect(st.masked!.byColumn).toEqual({ email: { 'mask-pii': 3 }, card: { 'mask-pii': 3 } });
  });

  it('catches expressions and aliases with the content detectors', async () => {
    const r = await run(`select upper(email) as u, reverse(reverse(card)) as k, concat(name, ' <', email, '>') as who, t.card as c2 from ${T} t order by id`);
    expect(r.stderr).toBe('');
    const rows = rowsOf(r.stdout);
    expect(rows).toHaveLength(4);
    expect(findLeaks(rows, secrets)).toEqual([]);
    // Lineage: each expression derives from a rule column, so that column's rule applies (as for PostgreSQL).
    expect(rows[0]).toEqual(['****', '****1111', '****', '****1111']);
    // A literal derives from no column: only the detectors can catch it, and only the email inside is replaced.
    const lit = rowsOf((await run(`select concat('to ', 'alice.wonder@example.com') as note`)).stdout);
    expect(lit[0]![0]).toMatch(/^to \S+$/);
    expect(findLeaks(lit, secrets)).toEqual([]);
    const { events } = await endedSession(t, 'maya', 'maria');
    const st = events.find((e): e is StatementEvent => e.type === 'statement' && e.text.includes('alice.wonder'))!;
    expect(st.masked!.byDetector).toEqual({ email: 1 });
  });

  it('rewrites rows whose lengths need more than one length byte, across several result sets', async () => {
    const r = await mariadb(t.mysqlPort, 'maya', token, 'maria', ['--delimiter=$$', '-N'], {
      // The long value is a literal (no column rule through lineage): the email detector rewrites it in place.
      input: `select concat(repeat('x', 300), ' ', 'alice.wonder@example.com') as note, id from ${T} where id = 1; select email from ${T} where id = 2; select 'plain' as p $$\n`,
    });
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^x{300} \S+\t1$/);
    expect(findLeaks([[lines[0]]], secrets)).toEqual([]);
    expect(lines.slice(1)).toEqual(['****', 'plain']);
  });

  // Columns sharing a source are also read joined; computed string columns get the lenient detectors
  // (core/masking/split-values.ts, detectors.ts), as for PostgreSQL; plain and number columns do not.
  it('catches values split across columns or transformed, without masking plain or unrelated columns', async () => {
    const D = `w_det_${randomBytes(4).toString('hex')}`;
    direct(`create table ${D} (id int, name varchar(20), ssn varchar(11), iban varchar(34), n int, code varchar(9), a varchar(8), b varchar(8))`);
    try {
      direct(`insert into ${D} values (1, 'Alice', '536-22-8419', 'GB82WEST12345698765432', 536228419, '536228419', '41111111', '11111111')`);
      const split = await run(`select substr(ssn, 1, 6) as a, name, substr(ssn, 7) as b, lower(iban) as i, replace(ssn, '-', '') as s from ${D}`);
      expect(split.stderr).toBe('');
      expect(rowsOf(split.stdout)).toEqual([['****', 'Alice', '****', '****', '****']]);
      const plain = await run(`select n, n + 0 as m, code, a, b, substr(a, 1) as a2, substr(b, 1) as b2, lower(name) as l from ${D}`);
      expect(rowsOf(plain.stdout)).toEqual([['536228419', '536228419', '536228419', '41111111', '11111111', '41111111', '11111111', 'alice']]);
    } finally {
      direct(`drop table if exists ${D}`);
    }
  });

  it('masks binary rows of prepared statements, also when fetched from a cursor', async () => {
    const c = await RawClient.open(t.mysqlPort);
    expect((await c.login('maya', token, 'maria'))[0]).toBe(0x00);
    const prep = await c.command(Buffer.concat([Buffer.from([0x16]), Buffer.from(`select email from ${T} where id = ?`)]));
    expect(prep[0]![0]).toBe(0x00);
    const id = prep[0]!.readUInt32LE(1);
    // COM_STMT_EXECUTE: id, flags, 1 iteration, null bitmap, types bound, LONG, value 1.
    const exec = (flags: number) => {
      const b = Buffer.alloc(18);
      b[0] = 0x17;
      b.writeUInt32LE(id, 1);
      b[5] = flags;
      b.writeUInt32LE(1, 6);
      b[11] = 1;
      b[12] = 0x03;
      b.writeInt32LE(1, 14);
      return b;
    };
    const rows = (await c.command(exec(0))).filter((p) => p[0] === 0x00 && p.length > 2 && p.length < 40);
    expect(rows.map((p) => p.toString('latin1'))).toEqual(['\0\0\x04****']); // header, null bitmap, lenenc '****'
    // CURSOR_TYPE_READ_ONLY: the answer has no rows; they come with COM_STMT_FETCH, shaped by the execute's columns.
    const opened = await c.command(exec(1));
    expect(opened.some((p) => p.includes(Buffer.from(secrets.emails[0]!)))).toBe(false);
    const fetch = Buffer.alloc(9);
    fetch[0] = 0x1c;
    fetch.writeUInt32LE(id, 1);
    fetch.writeUInt32LE(10, 5);
    const fetched = await c.command(fetch);
    expect(fetched.map((p) => p.toString('latin1'))[0]).toBe('\0\0\x04****');
    expect(fetched.at(-1)![0]).toBe(0xfe); // EOF
    expect(fetched.some((p) => p.includes(Buffer.from(secrets.emails[0]!)))).toBe(false);
    expect((await c.command(Buffer.from([0x0e])))[0]![0]).toBe(0x00); // the session goes on
    c.socket.end(Buffer.from([1, 0, 0, 0, 1]));
    await c.closed;
    const { events } = await endedSession(t, 'maya', 'maria');
    const fetches = events.filter((e): e is StatementEvent => e.type === 'statement' && e.prepared === String(id));
    expect(fetches.at(-1)).toMatchObject({ rowCount: 1, rows: [['****']], verdict: { effect: 'mask' } });
  });
});
