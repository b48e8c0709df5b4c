import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { approve, showReview, until } from '../reviews/support.ts';
import { mariadb } from './client.ts';
import mysql from 'mysql2/promise';
import { packet } from '../../src/protocols/mysql/codec/packet.ts';
import { RawClient } from './raw.ts';

/**
 * Reviews over the MySQL protocol through the real `mariadb` CLI: queue mode
 * refuses with ERR 1142 naming the review; after approval the same statement
 * runs exactly once. Hold mode keeps the client waiting (no notice packet in
 * MySQL) and runs the statement once approved.
 */
function direct(sql: string): string {
  return execFileSync('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', '3306', '-u', 'root', '-D', 'test', '--batch', '-N', '-e', sql], { encoding: 'utf8' });
}

const T = `w_mysql_review_${randomBytes(4).toString('hex')}`;
const rules = [
  { id: 'queue-deletes', match: { kinds: ['DeleteStmt'], connections: ['queue'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'queue' } },
  { id: 'hold-deletes', match: { kinds: ['DeleteStmt'], connections: ['hold'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'hold' } },
  { id: 'allow-other', match: {}, effect: 'allow' },
];
const ids = () => direct(`select group_concat(id order by id) from ${T}`).trim();

describe('MySQL reviews', () => {
  let t: TestGatewayWithMysql;
  const tok: Record<string, string> = {};
  const mysqlClient = (database: string) =>
    mysql.createConnection({ host: '127.0.0.1', port: t.mysqlPort, user: 'alice', database, authPlugins: { mysql_clear_password: () => () => Buffer.from(`${tok.alice}\0`) } });

  beforeAll(async () => {
    direct(`create table ${T} (id int primary key); insert into ${T} values (1), (2), (3)`);
    t = await startTestGateway({ rules });
    await t.connection('queue', { type: 'mysql' });
    await t.connection('hold', { type: 'mysql' });
    tok.alice = await t.user('alice');
    tok.dan = await t.user('dan', ['dbas']);
  }, 60_000);

  afterAll(async () => {
    direct(`drop table if exists ${T}`);
    await t?.stop();
  });

  it('queue mode: ERR 1142 with the review id; once approved the same statement runs exactly once', async () => {
    const text = `delete from ${T} where id = 1`;
    const first = await mariadb(t.mysqlPort, 'alice', tok.alice!, 'queue', ['-e', text]);
    expect(first.stderr).toMatch(/ERROR 1142 \(42000\).*review R-\d+ is open/);
    const id = /review (R-\d+) is open/.exec(first.stderr)![1]!;
    expect((await showReview(t, tok.alice!, id)).body).toMatchObject({ status: 'pending', mode: 'queue', rules: ['queue-deletes'] });
    expect(ids()).toBe('1,2,3');

    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    expect(ids()).toBe('1,2,3'); // approval alone runs nothing
    const other = await mariadb(t.mysqlPort, 'alice', tok.alice!, 'queue', ['-e', `delete from ${T} where id = 2`]);
    expect(other.stderr).toMatch(/ERROR 1142 .*review R-\d+ is open/); // another statement, another review
    expect(other.stderr).not.toContain(`${id} `);

    const ran = await mariadb(t.mysqlPort, 'alice', tok.alice!, 'queue', ['-e', text]);
    expect(ran.stderr).toBe('');
    expect(ids()).toBe('2,3');
    const again = await mariadb(t.mysqlPort, 'alice', tok.alice!, 'queue', ['-e', text]);
    expect(again.stderr).toMatch(/ERROR 1142 .*review R-\d+ is open/); // used up: a new review
  });

  it('hold mode: the client waits, and the statement runs once approved', async () => {
    const held = mariadb(t.mysqlPort, 'alice', tok.alice!, 'hold', ['-N', '-e', `delete from ${T} where id = 3; select 'after'`]);
    const review = await until('a pending review', async () => (await t.gw.core.reviews.list({ status: 'pending', connection: 'hold' }))[0]);
    expect(ids()).toContain('3');
    expect((await approve(t, tok.dan!, review.id)).status).toBe(200);
    const r = await held;
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('after\n');
    expect(ids()).not.toContain('3');
  });

  it('prepared statements (mysql2 execute), queue mode: each execute is reviewed with its values; the approved values run once', async () => {
    direct(`insert into ${T} values (10), (11)`);
    const c = await mysqlClient('queue');
    const sql = `delete from ${T} where id = ?`;
    const first = await c.execute(sql, [10]).catch((e: { errno: number; message: string }) => e);
    expect(first).toMatchObject({ errno: 1142, message: expect.stringMatching(/review R-\d+ is open/) });
    const id = /review (R-\d+) is open/.exec((first as { message: string }).message)![1]!;
    // Approvers see the statement with the bound value in place.
    expect((await showReview(t, tok.alice!, id)).body).toMatchObject({ status: 'pending', text: `delete from ${T} where id = 10` });
    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    await expect(c.execute(sql, [11])).rejects.toMatchObject({ errno: 1142, message: expect.not.stringContaining(id) }); // other values, another review
    const [ran] = await c.execute(sql, [10]);
    expect(ran).toMatchObject({ affectedRows: 1 });
    expect(ids()).not.toMatch(/\b10\b/);
    await expect(c.execute(sql, [10])).rejects.toMatchObject({ errno: 1142 }); // used up
    expect(ids()).toMatch(/\b11\b/);
    await c.end();
  });

  it('prepared statements, hold mode: the execute waits and runs once approved', async () => {
    const c = await mysqlClient('hold');
    const held = c.execute(`delete from ${T} where id = ?`, [11]);
    const review = await until('a pending review', async () => (await t.gw.core.reviews.list({ status: 'pending', connection: 'hold' }))[0]);
    expect(review.text).toBe(`delete from ${T} where id = 11`);
    expect(ids()).toMatch(/\b11\b/);
    expect((await approve(t, tok.dan!, review.id)).status).toBe(200);
    const [res] = await held;
    expect(res).toMatchObject({ affectedRows: 1 });
    expect(ids()).not.toMatch(/\b11\b/);
    await c.end();
  });

  it('refuses an execute whose parameters were sent as long data', async () => {
    const c = await RawClient.open(t.mysqlPort);
    expect((await c.login('alice', tok.alice!, 'queue'))[0]).toBe(0x00);
    const prep = await c.command(Buffer.concat([Buffer.from([0x16]), Buffer.from(`delete from ${T} where id = ?`)]));
    expect(prep[0]![0]).toBe(0x00);
    const stmt = prep[0]!.readUInt32LE(1);
    const head = Buffer.alloc(7);
    head[0] = 0x18;
    head.writeUInt32LE(stmt, 1);
    c.socket.write(packet(0, Buffer.concat([head, Buffer.from('2')]))); // COM_STMT_SEND_LONG_DATA, param 0: no answer
    const exec = Buffer.alloc(16);
    exec[0] = 0x17;
    exec.writeUInt32LE(stmt, 1);
    exec.writeUInt32LE(1, 6);
    exec[11] = 1; // new params bound
    exec[12] = 0xfe; // MYSQL_TYPE_STRING, value sent as long data
    const answer = await c.command(exec.subarray(0, 14));
    expect(answer[0]!.readUInt16LE(1)).toBe(1142);
    expect(answer[0]!.toString('utf8', 9)).toMatch(/long data cannot be reviewed/);
    expect(ids()).toContain('2');
    c.destroy();
  });
});
