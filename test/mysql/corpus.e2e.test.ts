import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedDefaults } from '../../src/core/policy/defaults.ts';
import { createPolicyEngine } from '../../src/core/policy/engine.ts';
import { evaluate } from '../../src/core/policy/evaluate.ts';
import type { Rule } from '../../src/core/policy/rules.ts';
import { createPostgresClassifier, initSql } from '../../src/core/sql/index.ts';
import { createMysqlClassifier } from '../../src/core/sql/mysql/index.ts';
import { startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startPrivateMariadb, type PrivateMariadb } from '../helpers/private-mariadb.ts';

/**
 * The MySQL evasion corpus (test/sql-corpus/mysql-corpus.yaml, classified
 * offline by mysql-corpus.test.ts) sent through the real gateway with mysql2
 * to a PRIVATE MariaDB this test starts (never the shared one: the corpus
 * drops, truncates, grants and shuts down). Under the shipped defaults (with
 * queue-mode reviews, so nothing waits) every statement not allowed is
 * answered ERR 1142/42000 naming the deciding rule, the server's general log
 * shows it never arrived, and the target's state is unchanged. Then the same
 * corpus through an allow-all connection shows every statement does reach the
 * server and changes it — SHUTDOWN last, which really stops it.
 */
interface Case {
  sql: string;
  class: string;
  verdict: 'allow' | 'review' | 'block';
}
const corpus = parse(readFileSync(new URL('../sql-corpus/mysql-corpus.yaml', import.meta.url), 'utf8')) as Case[];
/** KILL is answered by the gateway itself in every policy (kill-handler.ts): only a client's own sessions, never the target's ids. */
const isKill = (c: Case) => /^KILL\b/i.test(c.sql);
const reviewQueued = (r: Rule): Rule => (r.effect === 'review' ? { ...r, approvers: ['dbas'], review: { ...r.review, mode: 'queue' } as Rule['review'] } : r);
const guarded = shippedDefaults().map(reviewQueued);
const subject = { user: 'eve', groups: [], connection: 'guarded', connectionTags: [], at: new Date() };

const fixture = [
  'create database app',
  'create database a',
  'create database d',
  'create table app.t (id int primary key, a int, b int)',
  'create table app.u (id int primary key, b int)',
  'create table app.users (id int primary key, name varchar(20))',
  'create table app.t1 (id int primary key)',
  'create table app.t2 (id int primary key)',
  'create table app.x (id int)',
  'create table a.b (id int)',
  'create sequence app.s',
  'create procedure app.p() select 1',
  'create function app.my_func(i int) returns int deterministic return i',
  'insert into app.t values (1, 1, 1), (2, 2, 2)',
  'insert into app.u values (1, 1)',
  'insert into app.users values (1, "ada")',
  'insert into app.t1 values (1)',
  'insert into app.t2 values (1)',
].join('; ');

/** What the corpus could change: objects, rows, accounts, global settings, plugins, replication. */
async function snapshot(db: PrivateMariadb): Promise<string> {
  return db.sql(
    [
      "select group_concat(concat(table_schema, '.', table_name) order by 1) from information_schema.tables where table_schema not in ('mysql', 'information_schema', 'performance_schema', 'sys')",
      'select group_concat(schema_name order by 1) from information_schema.schemata',
      'checksum table app.t, app.u, app.users, app.t1, app.t2, app.x, a.b',
      'select next_not_cached_value from app.s',
      "select group_concat(concat(user, '@', host) order by 1) from mysql.user",
      'select count(*) from mysql.plugin',
      'select @@global.max_connections, @@global.general_log, @@global.sql_mode',
      'show all slaves status',
    ].join('; '),
  );
}

/** The line the general query log writes for a statement received. */
const received = (log: string, sql: string) => log.includes(`Query\t${sql}\n`);

describe('MySQL evasion corpus through the gateway (private MariaDB)', () => {
  let db: PrivateMariadb;
  let t: TestGatewayWithMysql;
  let token: string;

  async function send(connection: string, sql: string): Promise<{ ok: true } | { ok: false; errno: number; sqlState: string; message: string }> {
    const c = await mysql.createConnection({
      host: '127.0.0.1',
      port: t.mysqlPort,
      user: 'eve',
      database: connection,
      multipleStatements: true,
      authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) },
    });
    c.on('error', () => undefined);
    try {
      await c.query(sql);
      return { ok: true };
    } catch (err) {
      const e = err as { errno?: number; sqlState?: string; message: string; fatal?: boolean };
      return { ok: false, errno: e.errno ?? -1, sqlState: e.sqlState ?? '', message: e.message };
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  beforeAll(async () => {
    db = await startPrivateMariadb();
    await db.sql(fixture);
    const sql = await initSql();
    // LOAD DATA LOCAL INFILE needs a rule naming it (a generic allow does not reach it).
    const allowAll: Rule[] = [
      { id: 'control:allow-all', match: {}, effect: 'allow' },
      { id: 'control:allow-local-infile', match: { dangerous: ['LOAD DATA LOCAL INFILE'] }, effect: 'allow' },
    ];
    const policy = createPolicyEngine({ rules: [], defaults: guarded, connectionDefaults: { open: allowAll }, classifier: createPostgresClassifier(sql), mysqlClassifier: createMysqlClassifier() });
    t = await startTestGateway({ policy });
    token = await t.user('eve');
    for (const name of ['guarded', 'open']) await t.connection(name, { type: 'mysql', port: db.port, database: 'app', username: 'root' });
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
    await db?.stop();
  });

  it('has the whole corpus', () => expect(corpus.length).toBeGreaterThanOrEqual(80));

  it('under the shipped defaults: refused with ERR 1142 naming the rule, never reaching the target, which stays unchanged', async () => {
    const classifier = createMysqlClassifier();
    const before = await snapshot(db);
    const failures: string[] = [];
    for (const c of corpus) {
      const r = await send('guarded', c.sql);
      const log = db.generalLog();
      if (isKill(c)) {
        if (r.ok || r.errno !== 1095) failures.push(`${c.sql}: expected the gateway's own 1095, got ${JSON.stringify(r)}`);
        if (received(log, c.sql)) failures.push(`${c.sql}: reached the target`);
        continue;
      }
      if (c.verdict === 'allow') {
        if (!r.ok && r.errno === 1142) failures.push(`${c.sql}: refused by the gateway: ${r.message}`);
        if (c.sql !== '' && !received(log, c.sql)) failures.push(`${c.sql}: allowed but never reached the target`);
        continue;
      }
      const rule = evaluate([], subject, classifier.classify(c.sql), guarded).rules[0]!.id;
      if (r.ok) failures.push(`${c.sql}: ran`);
      else {
        if (r.errno !== 1142 || r.sqlState !== '42000') failures.push(`${c.sql}: ${r.errno}/${r.sqlState} ${r.message}`);
        if (!r.message.includes(`policy rule "${rule}"`)) failures.push(`${c.sql}: message does not name ${rule}: ${r.message}`);
        if (c.verdict === 'review' && !/review R-\d+ is open/.test(r.message)) failures.push(`${c.sql}: no review named: ${r.message}`);
      }
      if (received(log, c.sql)) failures.push(`${c.sql}: reached the target`);
    }
    expect(failures).toEqual([]);
    expect(await snapshot(db)).toBe(before);
    expect(db.running).toBe(true);
  }, 120_000);

  it('without the policy the same statements reach the target and change it (SHUTDOWN last: it stops the server)', async () => {
    const before = await snapshot(db);
    const stopped = corpus.filter((c) => c.verdict !== 'allow' && !isKill(c));
    const ordered = [...stopped.filter((c) => !/^SHUTDOWN$/i.test(c.sql)), ...stopped.filter((c) => /^SHUTDOWN$/i.test(c.sql))];
    expect(ordered.at(-1)?.sql).toBe('SHUTDOWN');
    const missing: string[] = [];
    let after = '';
    for (const c of ordered) {
      if (c.sql === 'SHUTDOWN') after = await snapshot(db);
      const r = await send('open', c.sql);
      // It did reach the server: it switched the log off. Switched on again, or nothing after it would show.
      if (/general_log/i.test(c.sql)) await db.sql('set global general_log = 1');
      if (!r.ok && r.errno === 1142 && r.message.includes('policy rule')) missing.push(`${c.sql}: refused by the gateway`);
      if (!received(db.generalLog(), c.sql)) missing.push(`${c.sql}: not in the target's log`);
    }
    expect(missing).toEqual([]);
    expect(after).not.toBe(before);
    for (let i = 0; i < 100 && db.running; i++) await new Promise((r) => setTimeout(r, 100));
    expect(db.running).toBe(false);
  }, 120_000);
});
