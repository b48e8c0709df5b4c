import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCore } from '../api/testing.ts';
import { newId } from '../core/ids.ts';
import { cleanEnv, ok, runWarden, serveTestApi, type Run } from './testing.ts';

/**
 * `warden reviews …` and `warden request` through the real binary against a
 * real API (and the real review service) on a free port. Each person runs
 * with their own token in WARDEN_TOKEN.
 */
let t: TestCore;
let app: FastifyInstance;
let url: string;
const tok: Record<string, string> = {};

const warden = (who: string, args: string[]): Promise<Run> =>
  runWarden(args, { env: cleanEnv({ WARDEN_URL: url, WARDEN_TOKEN: tok[who], WARDEN_CLI_CONFIG: '/nonexistent/cli.json' }) });

beforeAll(async () => {
  ({ t, app, url } = await serveTestApi());
  tok['alice'] = await t.userWithToken('alice', 'user', ['dev']);
  tok['bob'] = await t.userWithToken('bob', 'user', ['dba']);
  await t.core.connections.create({
    id: newId('con'), name: 'prod', type: 'postgres', host: 'db', port: 5432, database: 'app', username: 'app',
    sealedSecret: null, tls: 'disable', tags: [], agent: null, createdAt: new Date(),
  });
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

describe('warden reviews / warden request', () => {
  it('requests access, shows it in the approver inbox, refuses self-approval, approves', async () => {
    const requested = JSON.parse(ok(await warden('alice', ['request', 'prod', '--for', '2h', '--reason', 'INC-123 stuck orders', '--json'])));
    expect(requested).toMatchObject({ kind: 'access', status: 'pending', accessForMs: 7_200_000 });
    const id: string = requested.id;

    const [inbox, inboxJson, own, denyNoReason] = await Promise.all([
      warden('bob', ['reviews', 'list']),
      warden('bob', ['reviews', 'list', '--json']),
      warden('alice', ['reviews', 'approve', id]),
      warden('bob', ['reviews', 'deny', id]),
    ]);
    expect(ok(inbox)).toMatch(/^ID\s+STATUS\s+KIND\s+REQUESTER/);
    expect(inbox.stdout).toMatch(new RegExp(`${id}\\s+pending\\s+access\\s+alice\\s+prod\\s+.*0 of 1\\s+access for 2h: INC-123 stuck orders`));
    expect(JSON.parse(ok(inboxJson)).map((r: { id: string }) => r.id)).toEqual([id]);
    expect(own.code).toBe(1);
    expect(own.stderr).toBe(`warden: you asked for ${id}, so someone else must decide it (separation of duties)\n`);
    expect(denyNoReason.code).not.toBe(0);
    expect(denyNoReason.stderr).toMatch(/required option '--reason <text>'/);
    expect((await t.core.reviews.get(id)).status).toBe('pending');

    expect(ok(await warden('bob', ['reviews', 'approve', id, '--reason', 'ok for INC-123']))).toMatch(new RegExp(`^approved ${id}: now approved until \\S+ \\S+Z\\n$`));
    const [shown, emptyInbox] = await Promise.all([warden('alice', ['reviews', 'show', id]), warden('bob', ['reviews', 'list'])]);
    expect(ok(shown)).toContain(`review      ${id}: access request, approved`);
    expect(shown.stdout).toMatch(/approve by bob: ok for INC-123/);
    expect(shown.stdout).toMatch(/decided .* after notification/);
    expect(ok(emptyInbox)).toContain('nothing waiting for you');
    expect((await t.core.reviews.activeGrant('alice', 'prod'))?.id).toBe(id);
  });

  it('waits with --wait until an approver decides, and exits 1 on a denial', async () => {
    const waiting = warden('alice', ['request', 'prod', '--for', '30m', '--reason', 'look at logs', '--wait', '--poll', '1s']);
    let id: string | undefined;
    for (let i = 0; i < 200 && id === undefined; i++) {
      id = (await t.core.reviews.list({ requester: 'alice', status: 'pending' })).find((r) => r.accessForMs === 1_800_000)?.id;
      if (id === undefined) await sleep(50);
    }
    expect(id).toBeDefined();
    ok(await warden('bob', ['reviews', 'deny', id!, '--reason', 'use the log viewer']));
    const done = await waiting;
    expect(done.code).toBe(1);
    expect(done.stdout).toContain(`${id}: waiting for a decision on 30m of access to prod`);
    expect(done.stdout).toContain(`${id} denied by bob: use the log viewer`);
  });

  it('tells the requester how to run an approved queued statement, with a psql line', async () => {
    const text = "UPDATE orders SET state = 'done' WHERE id = 7";
    const policy = { mode: 'queue' as const, approverGroups: ['dba'], approvals: 1, eachGroup: false, timeoutMs: 600_000, approvalWindowMs: 3_600_000, maxRuns: 1, requireJustification: false };
    const r = await t.core.reviews.requestCommand({ requester: { name: 'alice', groups: ['dev'], role: 'user' }, connection: 'prod', text, rules: ['review-writes'], policy });

    const early = await warden('alice', ['reviews', 'run', r.id]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(new RegExp(`^warden: ${r.id} is pending, not approved: it needs 1 approval\\(s\\), has 0 of 1; wait, or ask dba\\n$`));
    ok(await warden('bob', ['reviews', 'approve', r.id]));

    const [run, runJson, notMine] = await Promise.all([
      warden('alice', ['reviews', 'run', r.id, '--psql', '--pg-port', '25432']),
      warden('alice', ['reviews', 'run', r.id, '--psql', '--json']),
      warden('bob', ['reviews', 'run', r.id]),
    ]);
    expect(ok(run)).toContain(`review ${r.id} is approved: run the same statement as alice on connection prod`);
    expect(run.stdout).toContain(`\n${text}\n`);
    expect(run.stdout).toContain(`PGPASSWORD="$WARDEN_TOKEN" psql 'host=127.0.0.1 port=25432 dbname=prod user=alice' -c 'UPDATE orders SET state = '\\''done'\\'' WHERE id = 7'`);
    expect(run.stdout).not.toContain(tok['alice']!);
    expect(JSON.parse(ok(runJson))).toMatchObject({ review: r.id, connection: 'prod', user: 'alice', statement: text, runsLeft: 1, psql: expect.stringContaining('port=15432') });
    expect(notMine.code).toBe(1);
    expect(notMine.stderr).toBe(`warden: ${r.id} was requested by alice; only they can run it\n`);
  });
});
