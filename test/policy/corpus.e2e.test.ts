import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedDefaults } from '../../src/core/policy/defaults.ts';
import { endedSession, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { startPrivatePg, type PrivatePg } from '../helpers/private-pg.ts';

/**
 * The evasion corpus (test/sql-corpus/corpus.yaml, the single source of the
 * statements and their verdicts) through a real gateway under the shipped
 * defaults, with the pg driver, against a real PostgreSQL.
 *
 * The target is a private cluster (the machine's PostgreSQL binaries, its own
 * data directory and port), not the shared server on 5432: the corpus holds
 * cluster-wide statements (`ALTER SYSTEM SET shared_preload_libraries`,
 * `CREATE ROLE … SUPERUSER`, `pg_terminate_backend` over every backend), and
 * a policy regression must not break the machine's server or kill other
 * suites' connections. The corpus names fixed objects (`accounts`,
 * `"public"."accounts"`, `DROP SCHEMA public`), which resolve exactly as
 * written in the private database; the fixtures make a leaked statement
 * visible (functions, a procedure and an operator that delete rows, a stale
 * materialized view, a sequence…). After every statement the target is
 * compared with its state before the run.
 */
interface Case {
  sql: string;
  class: string;
  verdict: 'allow' | 'review' | 'block';
  note?: string;
  prepared?: Record<string, string>;
}

const corpus = parse(readFileSync(new URL('../sql-corpus/corpus.yaml', import.meta.url), 'utf8')) as Case[];
const db = 'corpus';
const ruleMessages = new Map(shippedDefaults().map((r) => [r.id, r.message]));

const fixture = `
  create table accounts (id serial primary key, owner text not null, balance numeric not null default 0);
  insert into accounts (owner, balance) values ('ann', 100), ('ben', 200), ('cat', 300);
  create table "Accounts" (id int);
  insert into "Accounts" values (1);
  create table staging (id int, owner text, balance numeric);
  insert into staging values (10, 'zed', 1);
  create table incoming (id int, balance numeric);
  insert into incoming values (1, 999);
  create table log (x int);
  create materialized view mv as select count(*) as n from accounts;
  insert into accounts (owner, balance) values ('dan', 400); -- mv is now stale: a REFRESH would show
  create function wipe() returns void language sql as 'delete from accounts';
  create procedure archive_accounts() language sql as 'delete from accounts';
  create function "LOWER"(text) returns text language sql as 'delete from accounts; select $1';
  create function eqeqeq(int, int) returns boolean language sql as 'delete from accounts; select true';
  create operator === (leftarg = int, rightarg = int, function = eqeqeq);
`;

/** Everything a leaked statement from the corpus could change, as one JSON value. */
const snapshotSql = `
  select json_build_object(
    'accounts', (select json_agg(a order by id) from accounts a),
    'Accounts', (select count(*) from "Accounts"),
    'log', (select count(*) from log),
    'staging', (select json_agg(s) from staging s),
    'incoming', (select json_agg(i) from incoming i),
    'mv', (select json_agg(m) from mv m),
    'relations', (select json_agg(c.relname || ':' || c.relkind::text order by c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'),
    'columns', (select json_agg(attname order by attnum) from pg_attribute where attrelid = 'public.accounts'::regclass and attnum > 0 and not attisdropped),
    'acl', (select relacl::text from pg_class where oid = 'public.accounts'::regclass),
    'sequence', (select json_build_object('last', last_value, 'called', is_called) from accounts_id_seq),
    'functions', (select json_agg(p.proname || ':' || md5(p.prosrc) order by p.proname) from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public'),
    'operators', (select count(*) from pg_operator o join pg_namespace n on n.oid = o.oprnamespace where n.nspname = 'public'),
    'schemas', (select json_agg(nspname order by nspname) from pg_namespace),
    'roles', (select json_agg(rolname order by rolname) from pg_roles where rolname in ('mallory', 'bob')),
    'largeObjects', (select count(*) from pg_largeobject_metadata),
    'autoConf', (select json_agg(name || '=' || setting order by name) from pg_file_settings where sourcefile like '%postgresql.auto.conf'),
    'databases', (select json_agg(datname order by datname) from pg_database where datname = 'prod')
  ) as s`;

let t: TestGateway;
let target: PrivatePg;
let direct: pg.Client; // direct to the target database, never through the gateway
let client: pg.Client; // through the gateway
let baseline: unknown;
// A leaked `COPY … TO '/tmp/x'` would create that file; only checkable when nothing is there before the run.
const tmpX = () => (existsSync('/tmp/x') ? 'present' : 'absent');
let tmpXBefore: string;
const stopped: { sql: string; code: string }[] = [];

beforeAll(async () => {
  target = await startPrivatePg();
  const admin = new pg.Client({ host: '127.0.0.1', port: target.port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`create database ${db}`);
  await admin.end();
  direct = new pg.Client({ host: '127.0.0.1', port: target.port, user: 'postgres', database: db });
  direct.on('error', () => {}); // a leaked pg_terminate_backend would end it: the snapshot then fails, loudly
  await direct.connect();
  await direct.query(fixture);
  baseline = (await direct.query(snapshotSql)).rows[0].s;
  tmpXBefore = tmpX();

  t = await startTestGateway({ rules: [] }); // no rules of our own: only the shipped defaults decide
  const token = await t.user('eve');
  await t.connection('corpus', { port: target.port, database: db });
  client = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'eve', password: token, database: 'corpus' });
  client.on('error', () => {}); // a failure shows in the assertions, not as an unhandled event
  await client.connect();
});

afterAll(async () => {
  await client?.end().catch(() => {});
  await t?.stop();
  await direct?.end().catch(() => {});
  await target?.stop();
  // Only a leaked `COPY … TO '/tmp/x'` writes there (the private server shares this machine's /tmp).
  if (tmpXBefore === 'absent' && existsSync('/tmp/x') && statSync('/tmp/x').isFile()) rmSync('/tmp/x', { force: true });
});

/**
 * Runs one statement through the gateway; the error it got, if any, and
 * whether the gateway held it for a review. A held statement (review in
 * hold mode) is cancelled at once with a CancelRequest, as a user would:
 * nobody approves it here, and it must not run.
 */
async function run(sql: string): Promise<(Error & { code?: string; held?: boolean }) | undefined> {
  let held = false;
  const onNotice = (n: { message?: string }) => {
    if (!/waiting for approval/.test(n.message ?? '')) return;
    held = true;
    const c = client as unknown as { processID: number; secretKey: number };
    const s = connect(t.pgPort, '127.0.0.1', () => s.end(serialize.cancel(c.processID, c.secretKey)));
    s.on('error', () => {});
  };
  client.on('notice', onNotice);
  try {
    await client.query(sql);
    return undefined;
  } catch (err) {
    return Object.assign(err as Error & { code?: string }, { held });
  } finally {
    client.off('notice', onNotice);
  }
}

const title = (c: Case) => `${c.verdict}: ${JSON.stringify(c.sql)}${c.note === undefined ? '' : ` (${c.note})`}`;

describe('the evasion corpus through the gateway under the shipped defaults', () => {
  it('holds at least 80 statements', () => expect(corpus.length).toBeGreaterThanOrEqual(80));

  it.each(corpus.map((c) => [title(c), c] as const))('%s', async (_title, c) => {
    // A corpus case may assume statements the session prepared before.
    let preparedStopped = false;
    for (const text of Object.values(c.prepared ?? {})) {
      const e = await run(text);
      if (e?.code === '42501' || e?.held) preparedStopped = true;
    }

    const err = await run(c.sql);

    if (c.verdict === 'allow') {
      // May still fail on the target (missing table, protocol rules); never by policy.
      expect(err?.code, err?.message).not.toBe('42501');
    } else {
      expect(err, 'expected a policy error, got success').toBeDefined();
      const message = err!.message;
      stopped.push({ sql: c.sql, code: err!.code! });
      if (err!.held) {
        // Held for a review and cancelled by us (57014): only a review case may be held.
        expect(c.verdict).toBe('review');
        expect(err!.code, message).toBe('57014');
      } else {
        expect(err!.code, `expected 42501, got ${err!.code}: ${message}`).toBe('42501');
        const rule = /policy rule "([^"]+)"/.exec(message)?.[1];
        expect(rule, message).toBeDefined();
        const ruleMessage = ruleMessages.get(rule!);
        if (ruleMessage !== undefined) expect(message).toContain(ruleMessage);
        if (c.verdict === 'block') expect(message).toMatch(/^blocked by policy rule "default:[a-z-]+": /);
        // The prepared statement a review case executes was itself stopped, so the gateway cannot know it: it blocks.
        else if (preparedStopped) expect(message).toMatch(/^(blocked by policy rule |.*approval .*is required by policy rule )/);
        // Review: refused with the rule named (review workflow not reachable, or queued for approval).
        else expect(message).toMatch(/approval .*is required by policy rule "default:review-write"/);
      }
    }

    // The session stays usable and clean for the next case.
    expect((await run('ROLLBACK'))?.message).toBeUndefined();
    expect((await run('DEALLOCATE ALL'))?.message).toBeUndefined();
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    // And the target is exactly as it was.
    expect((await direct.query(snapshotSql)).rows[0].s).toEqual(baseline);
    if (tmpXBefore === 'absent') expect(tmpX()).toBe('absent');
  });

  it('records every stopped statement with its policy error', async () => {
    await client.end();
    const { events } = await endedSession(t, 'eve', 'corpus');
    const recorded = events.filter((e) => e.type === 'statement' && (e.error?.code === '42501' || e.error?.code === '57014'));
    for (const s of stopped) {
      const text = s.sql.split('\u0000')[0]!;
      const hit = recorded.find((e) => e.type === 'statement' && (e.text === s.sql || e.text === text));
      expect(hit, `no recorded policy error for ${JSON.stringify(s.sql)}`).toBeDefined();
      expect(hit!.type === 'statement' && hit!.error?.code).toBe(s.code);
      expect(hit!.type === 'statement' && ['block', 'review'].includes(hit!.verdict?.effect ?? '')).toBe(true);
    }
  });
});
