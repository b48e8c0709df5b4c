import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { approve, showReview, until } from '../reviews/support.ts';
import { mariadb } from './client.ts';
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

  it('refuses to prepare a statement that needs review', async () => {
    const c = await RawClient.open(t.mysqlPort);
    expect((await c.login('alice', tok.alice!, 'queue'))[0]).toBe(0x00);
    const prep = await c.command(Buffer.concat([Buffer.from([0x16]), Buffer.from(`delete from ${T} where id = ?`)]));
    expect(prep[0]!.readUInt16LE(1)).toBe(1142);
    expect(prep[0]!.toString('utf8', 9)).toMatch(/cannot be prepared/);
    c.destroy();
  });
});
