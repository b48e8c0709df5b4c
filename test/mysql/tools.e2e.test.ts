import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startPrivateMariadb, type PrivateMariadb } from '../helpers/private-mariadb.ts';

/**
 * mariadb-dump and mariadb-slap through the gateway, against a private
 * MariaDB (slap creates and drops its schema). Both log in without a
 * database, so the connection is named in the user name (`-u
 * <user>/<connection>`). A dump of a table with a masked column carries the
 * masked values; every query slap sends is recorded, checked against the
 * target's own general query log.
 */
const rules = [
  { id: 'mask-emails', match: { tables: ['shop.customers'] }, effect: 'mask', mask: { columns: [{ name: 'email', strategy: 'redact' }] } },
  { id: 'allow-all', match: {}, effect: 'allow' },
];

function tool(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, ['--no-defaults', '--skip-ssl', ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** The statements a server received (general log `Query` lines) in a slice of its log. */
const queries = (log: string) => [...log.matchAll(/ Query\t(.*)\n/g)].map((m) => m[1]!);

describe('mariadb-dump and mariadb-slap through the gateway (private MariaDB)', () => {
  let db: PrivateMariadb;
  let t: TestGatewayWithMysql;
  const tok: Record<string, string> = {};
  const login = (user: string) => ['-h', '127.0.0.1', '-P', String(t.mysqlPort), '-u', user, `-p${tok[user.split('/')[0]!]}`];

  beforeAll(async () => {
    db = await startPrivateMariadb();
    await db.sql(
      "create database shop; create table shop.customers (id int primary key, name varchar(20), email varchar(50)); insert into shop.customers values (1, 'ada', 'ada@example.com'), (2, 'bob', 'bob@example.org')",
    );
    t = await startTestGateway({ rules });
    tok.dora = await t.user('dora');
    tok.sam = await t.user('sam');
    await t.connection('shopdb', { type: 'mysql', port: db.port, database: 'shop', username: 'root' });
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
    await db?.stop();
  });

  it('mariadb-dump: the dump carries masked values', async () => {
    const r = await tool('mariadb-dump', [...login('dora/shopdb'), 'shop', 'customers']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CREATE TABLE `customers`');
    expect(r.stdout).toContain("INSERT INTO `customers` VALUES\n(1,'ada','****'),\n(2,'bob','****');");
    expect(r.stdout).not.toContain('@example');
    expect(await db.sql('select email from shop.customers order by id')).toBe('ada@example.com\nbob@example.org\n');
  });

  it('mariadb-slap: a small load runs, and every query it sends is recorded', async () => {
    const before = db.generalLog().length;
    const r = await tool('mariadb-slap', [
      ...login('sam/shopdb'),
      '--create-schema=slap',
      '--create=CREATE TABLE t (a int, b varchar(10))',
      '--query=INSERT INTO t VALUES (1, \'x\'); SELECT a, b FROM t WHERE a = 1',
      '--delimiter=;',
      '--concurrency=3',
      '--iterations=2',
      '--number-of-queries=12',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Number of clients running queries: 3/);
    const sent = queries(db.generalLog().slice(before));
    expect(sent.filter((q) => q.startsWith('INSERT INTO t')).length).toBeGreaterThanOrEqual(12);

    // Every session slap opened has ended and been recorded: the recorded texts are exactly what the target received.
    let recorded: string[] = [];
    for (let i = 0; i < 200; i++) {
      const sessions = await t.gw.core.sessions.list({ userName: 'sam', limit: 100 });
      if (sessions.length > 0 && sessions.every((s) => s.endedAt)) {
        recorded = [];
        for (const s of sessions) for await (const e of t.gw.core.recordings.read(s.id)) if (e.type === 'statement') recorded.push((e as StatementEvent).text);
        if (recorded.length >= sent.length) break;
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(recorded.sort()).toEqual(sent.sort());
  });
});
