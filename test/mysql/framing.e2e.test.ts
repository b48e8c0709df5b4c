import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { mariadb } from './client.ts';

/**
 * Answers that span many socket reads, through the real gateway and the
 * real `mariadb` CLI: rows cut across chunks are reassembled (and, under a
 * mask verdict, rewritten) whole, every row reaches the client, and the
 * recording keeps its cap. Column definitions repeated by later statements
 * (the relay reuses their parsed form) still name each result's columns.
 */
const rules = [
  { id: 'mask-email', effect: 'mask', match: { connections: ['masked'] }, mask: { columns: [{ name: '*email*', strategy: 'redact' }] } },
  { id: 'allow-reads', effect: 'allow', match: { classes: ['read'] } },
];
const rowsOf = (stdout: string) => stdout.trimEnd().split('\n').map((l) => l.split('\t'));
const big = "select seq, concat('user', seq, '@example.com') as email, repeat('y', 300) as pad from seq_1_to_20000";

describe('MySQL answers across many reads', () => {
  let t: TestGatewayWithMysql;
  let token: string;

  beforeAll(async () => {
    t = await startTestGateway({ rules });
    token = await t.user('fran');
    await t.connection('plain', { type: 'mysql' });
    await t.connection('masked', { type: 'mysql' });
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
  });

  it('relays a 6 MB result whole, and masks each of its rows when the verdict masks', async () => {
    const plain = await mariadb(t.mysqlPort, 'fran', token, 'plain', ['-N', '-e', big]);
    expect(plain.stderr).toBe('');
    const p = rowsOf(plain.stdout);
    expect(p).toHaveLength(20_000);
    expect(p.every((r, i) => r[0] === String(i + 1) && r[1] === `user${i + 1}@example.com` && r[2] === 'y'.repeat(300))).toBe(true);

    const masked = await mariadb(t.mysqlPort, 'fran', token, 'masked', ['-N', '-e', big]);
    expect(masked.stderr).toBe('');
    const m = rowsOf(masked.stdout);
    expect(m).toHaveLength(20_000);
    expect(m.every((r, i) => r[0] === String(i + 1) && r[1] === '****' && r[2] === 'y'.repeat(300))).toBe(true);
    const { events } = await endedSession(t, 'fran', 'masked');
    const st = events.find((e): e is StatementEvent => e.type === 'statement' && e.text === big)!;
    expect(st).toMatchObject({ rowCount: 20_000, rowsTruncated: true, columns: ['seq', 'email', 'pad'] });
    expect(st.rows![0]).toEqual(['1', '****', 'y'.repeat(300)]);
  });

  it('names the columns of each statement, when later statements repeat or change the shape', async () => {
    const r = await mariadb(t.mysqlPort, 'fran', token, 'plain', ['-N', '-e', 'select 1 as a; select 2 as a; select 3 as b, 4 as a; select 5 as a']);
    expect(r.stderr).toBe('');
    const { events } = await endedSession(t, 'fran', 'plain');
    const cols = events.filter((e): e is StatementEvent => e.type === 'statement' && e.text.startsWith('select ')).map((e) => [e.text, e.columns, e.rows]);
    expect(cols).toEqual([
      ['select 1 as a', ['a'], [['1']]],
      ['select 2 as a', ['a'], [['2']]],
      ['select 3 as b, 4 as a', ['b', 'a'], [['3', '4']]],
      ['select 5 as a', ['a'], [['5']]],
    ]);
  });
});
