import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../store/index.ts';
import { manualClock } from '../clock.ts';
import { WardenError } from '../errors.ts';
import { decisionLatencyMs } from './rules.ts';
import { createReviewService, type RunningReviewService } from './service.ts';
import type { Actor } from './service-types.ts';
import type { ReviewNotice, ReviewNotifier, ReviewPolicy } from './types.ts';

// The review workflow over a real SQLite store, with a manual clock.

const alice: Actor = { name: 'alice', groups: ['dev', 'dba'], role: 'user' };
const bob: Actor = { name: 'bob', groups: ['dba'], role: 'user' };
const carol: Actor = { name: 'carol', groups: ['dba', 'security'], role: 'user' };
const dave: Actor = { name: 'dave', groups: ['security'], role: 'user' };
const root: Actor = { name: 'root', groups: ['ops'], role: 'admin' };
const glass: Actor = { name: 'gina', groups: ['break-glass'], role: 'user' };

const policy: ReviewPolicy = {
  mode: 'queue',
  approverGroups: ['dba'],
  approvals: 1,
  eachGroup: false,
  timeoutMs: 600_000,
  approvalWindowMs: 3_600_000,
  maxRuns: 1,
  requireJustification: false,
};
const del = "DELETE FROM users WHERE email = 'x@y.z'";

let dir: string;
let store: Store;
let clock: ReturnType<typeof manualClock>;
let notices: ReviewNotice[];
let logs: string[];
let svc: RunningReviewService;

function service(notifier: ReviewNotifier = { notify: async (n) => (notices.push(n), [{ channel: 'test' }]) }): RunningReviewService {
  return createReviewService({
    repo: store.reviews,
    clock,
    notifier,
    log: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
    fingerprint: (t) => createHash('sha256').update(t.replace(/\s+/g, ' ').trim().toLowerCase()).digest('hex'),
    maskLiterals: (t) => t.replace(/'[^']*'/g, "'***'"),
    links: (id) => ({ view: `https://w/r/${id}`, approve: `https://w/r/${id}/approve`, deny: `https://w/r/${id}/deny` }),
    breakGlassGroups: ['break-glass'],
    pollIntervalMs: 20,
  });
}

async function refusal(p: Promise<unknown>): Promise<WardenError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WardenError);
  return err as WardenError;
}

const ask = (over: Partial<ReviewPolicy> = {}, text = del, requester = alice) =>
  svc.requestCommand({ requester, connection: 'prod', text, rules: ['deletes'], policy: { ...policy, ...over } });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-review-'));
  store = await openStore({ url: '', sqlitePath: join(dir, 'w.db'), pgSchema: 'unused' });
  clock = manualClock(new Date('2026-05-01T09:00:00Z'));
  notices = [];
  logs = [];
  svc = service();
});
afterEach(async () => {
  await svc.flush();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('requesting', () => {
  it('stores the masked statement, a fingerprint of the real one, and notifies approvers', async () => {
    const r = await ask();
    expect(r).toMatchObject({ id: 'R-1', status: 'pending', requester: 'alice', text: "DELETE FROM users WHERE email = '***'", rules: ['deletes'] });
    expect(r.expiresAt.getTime() - r.createdAt.getTime()).toBe(600_000);
    await svc.flush();
    expect(notices.map((n) => [n.type, n.review.id, n.links.approve])).toEqual([['review_requested', 'R-1', 'https://w/r/R-1/approve']]);
    expect((await svc.get('r-1')).notifiedAt).toEqual(r.createdAt);
  });

  it('refuses a request without the justification the rule requires', async () => {
    expect((await refusal(ask({ requireJustification: true }))).kind).toBe('bad_request');
    const ok = await svc.requestCommand({ requester: alice, connection: 'prod', text: del, rules: [], policy: { ...policy, requireJustification: true }, justification: ' INC-7 ' });
    expect(ok.justification).toBe('INC-7');
    expect((await refusal(svc.requestAccess({ requester: alice, connection: 'prod', forMs: 60_000, reason: '  ' }))).kind).toBe('bad_request');
  });
});

describe('deciding', () => {
  it('never lets the requester decide their own review, even as an approver or break-glass', async () => {
    const r = await ask();
    const me = { ...alice, groups: [...alice.groups, 'break-glass'] };
    for (const d of ['approve', 'deny', 'force-approve'] as const) {
      const err = await refusal(svc.decide(r.id, me, d));
      expect(err.kind).toBe('access_denied');
      expect(err.message).toMatch(/separation of duties/);
    }
    expect(await svc.get(r.id)).toMatchObject({ status: 'pending', decisions: [] });
  });

  it('refuses non-approvers, admins included, and unknown ids', async () => {
    const r = await ask();
    expect((await refusal(svc.decide(r.id, root, 'approve'))).kind).toBe('access_denied');
    expect((await refusal(svc.decide(r.id, dave, 'deny'))).kind).toBe('access_denied');
    expect((await refusal(svc.decide(r.id, bob, 'force-approve'))).kind).toBe('access_denied');
    expect((await refusal(svc.decide('R-404', bob, 'approve'))).kind).toBe('not_found');
    expect((await svc.get(r.id)).decisions).toEqual([]);
  });

  it('needs two distinct approvals when the rule says two; one person twice is refused', async () => {
    const r = await ask({ approvals: 2 });
    expect((await svc.decide(r.id, bob, 'approve')).status).toBe('pending');
    const twice = await refusal(svc.decide(r.id, bob, 'approve'));
    expect([twice.kind, twice.message]).toEqual(['bad_request', expect.stringMatching(/already decided/)]);
    clock.advance(1000);
    const done = await svc.decide(r.id, carol, 'approve', 'looks fine');
    expect(done).toMatchObject({ status: 'approved', decidedAt: clock.now(), validUntil: new Date(clock.now().getTime() + 3_600_000) });
    expect(done.decisions.map((d) => [d.by, d.decision, d.reason])).toEqual([['bob', 'approve', null], ['carol', 'approve', 'looks fine']]);
    const late = await refusal(svc.decide(r.id, { name: 'erin', groups: ['dba'], role: 'user' }, 'deny'));
    expect([late.kind, late.message]).toEqual(['bad_request', expect.stringMatching(/already approved/)]);
  });

  it('with eachGroup needs a distinct approver from every listed group', async () => {
    const r = await ask({ approverGroups: ['dba', 'security'], eachGroup: true, approvals: 1 });
    // carol is in both groups, but one person covers one group.
    expect((await svc.decide(r.id, carol, 'approve')).status).toBe('pending');
    expect((await svc.decide(r.id, bob, 'approve')).status).toBe('approved');
    const r2 = await ask({ approverGroups: ['dba', 'security'], eachGroup: true });
    expect((await svc.decide(r2.id, bob, 'approve')).status).toBe('pending');
    expect((await svc.decide(r2.id, { name: 'bea', groups: ['dba'], role: 'user' }, 'approve')).status).toBe('pending');
    expect((await svc.decide(r2.id, dave, 'approve')).status).toBe('approved');
  });

  it('lets any approver deny at once, recording the reason', async () => {
    const r = await ask({ approvals: 2 });
    await svc.decide(r.id, bob, 'approve');
    const denied = await svc.decide(r.id, carol, 'deny', 'not during the freeze');
    expect(denied).toMatchObject({ status: 'denied', validUntil: null });
    expect(denied.decisions.at(-1)).toMatchObject({ by: 'carol', decision: 'deny', reason: 'not during the freeze' });
    await svc.flush();
    expect(notices.map((n) => n.type)).toEqual(['review_requested', 'review_decided']);
  });

  it('refuses decisions on an expired review and marks it expired', async () => {
    const r = await ask();
    const other = await ask();
    clock.advance(600_000);
    const err = await refusal(svc.decide(r.id, bob, 'approve'));
    expect([err.kind, err.message]).toEqual(['bad_request', expect.stringMatching(/expired/)]);
    expect(await svc.get(r.id)).toMatchObject({ status: 'expired', decisions: [], decidedAt: null });
    expect(await svc.expireDue()).toBe(1);
    expect((await svc.get(other.id)).status).toBe('expired');
    expect(await svc.expireDue()).toBe(0);
  });

  it('lets two racing approvals of a pending review not overwrite each other', async () => {
    const r = await ask({ approvals: 3 });
    const results = await Promise.allSettled([svc.decide(r.id, bob, 'approve'), svc.decide(r.id, carol, 'approve')]);
    const stored = await svc.get(r.id);
    const won = results.filter((x) => x.status === 'fulfilled').length;
    expect(stored.decisions).toHaveLength(won);
    for (const x of results) if (x.status === 'rejected') expect((x.reason as WardenError).kind).toBe('bad_request');
  });

  it('lets break-glass force-approve, loudly: warn log and a break_glass notice', async () => {
    const r = await ask({ approvals: 2 });
    expect((await refusal(svc.decide(r.id, glass, 'approve'))).message).toMatch(/force-approve/);
    const forced = await svc.decide(r.id, glass, 'force-approve', 'prod is down');
    expect(forced).toMatchObject({ status: 'approved' });
    await svc.flush();
    expect(notices.map((n) => n.type)).toEqual(['review_requested', 'break_glass', 'review_decided']);
    const warn = logs.map((l) => JSON.parse(l) as { level: number; msg: string; by?: string }).find((l) => l.msg.startsWith('BREAK-GLASS'));
    expect(warn).toMatchObject({ level: 40, by: 'gina' });
  });

  it('lets break-glass deny a review outside its approver groups', async () => {
    const r = await ask({ approverGroups: ['security'] });
    expect(await svc.decide(r.id, glass, 'deny', 'suspicious')).toMatchObject({ status: 'denied' });
  });

  it('records the time from notification to decision', async () => {
    const r = await ask();
    await svc.flush();
    const notified = (await svc.get(r.id)).notifiedAt;
    expect(notified).toEqual(r.createdAt);
    clock.advance(90_000);
    const done = await svc.decide(r.id, bob, 'approve');
    expect(decisionLatencyMs(done)).toBe(90_000);
    expect(decisionLatencyMs(r)).toBeNull();
  });

  it('keeps a review pending and decidable when every notification fails, with the errors visible', async () => {
    await svc.flush();
    svc = service({ notify: async () => [{ channel: 'webhook#1 (hooks.example)', error: 'ECONNREFUSED after 4 attempts' }] });
    const r = await ask();
    await svc.flush();
    const stored = await svc.get(r.id);
    expect(stored).toMatchObject({ status: 'pending', notifiedAt: null });
    expect(stored.notifyErrors).toEqual([expect.stringMatching(/review_requested webhook#1 \(hooks\.example\): ECONNREFUSED/)]);
    expect((await svc.decide(r.id, bob, 'approve')).status).toBe('approved');
  });
});

describe('queue mode', () => {
  it('runs an approved statement exactly once, only for the same user, connection and statement', async () => {
    const r = await ask();
    expect(await svc.consumeApproved('alice', 'prod', del)).toBeUndefined();
    await svc.decide(r.id, bob, 'approve');
    expect(await svc.consumeApproved('bob', 'prod', del)).toBeUndefined();
    expect(await svc.consumeApproved('alice', 'staging', del)).toBeUndefined();
    expect(await svc.consumeApproved('alice', 'prod', 'DELETE FROM users')).toBeUndefined();
    const runs = await Promise.all([svc.consumeApproved('alice', 'prod', `  ${del.toLowerCase()} `), svc.consumeApproved('alice', 'prod', del)]);
    expect(runs.filter((x) => x !== undefined)).toEqual([expect.objectContaining({ id: r.id, runs: 1, status: 'executed' })]);
    expect(await svc.consumeApproved('alice', 'prod', del)).toBeUndefined();
  });

  it('honours maxRuns and the approval window', async () => {
    const r = await ask({ maxRuns: 2 });
    await svc.decide(r.id, bob, 'approve');
    expect(await svc.consumeApproved('alice', 'prod', del)).toMatchObject({ runs: 1, status: 'approved' });
    clock.advance(3_600_000);
    expect(await svc.consumeApproved('alice', 'prod', del)).toBeUndefined();
  });

  it('does not run a hold-mode approval from the queue', async () => {
    const r = await ask({ mode: 'hold' });
    await svc.decide(r.id, bob, 'approve');
    expect(await svc.consumeApproved('alice', 'prod', del)).toBeUndefined();
  });
});

describe('access requests', () => {
  const accessPolicy: ReviewPolicy = { ...policy, mode: 'hold', approverGroups: ['security'] };

  it('grants access for the duration asked, from the decision, and then it lapses', async () => {
    const r = await svc.requestAccess({ requester: alice, connection: 'prod', forMs: 7_200_000, reason: 'INC-9', policy: accessPolicy });
    expect(r).toMatchObject({ kind: 'access', text: null, accessForMs: 7_200_000, justification: 'INC-9' });
    expect(await svc.activeGrant('alice', 'prod')).toBeUndefined();
    expect((await refusal(svc.decide(r.id, bob, 'approve'))).kind).toBe('access_denied');
    clock.advance(60_000);
    const ok = await svc.decide(r.id, dave, 'approve');
    expect(ok.validUntil).toEqual(new Date(clock.now().getTime() + 7_200_000));
    expect((await svc.activeGrant('alice', 'prod'))?.id).toBe(r.id);
    expect(await svc.activeGrant('alice', 'staging')).toBeUndefined();
    expect(await svc.activeGrant('bob', 'prod')).toBeUndefined();
    clock.advance(7_199_999);
    expect((await svc.activeGrant('alice', 'prod'))?.id).toBe(r.id);
    clock.advance(1);
    expect(await svc.activeGrant('alice', 'prod')).toBeUndefined();
  });

  it('without a configured access policy only break-glass can grant', async () => {
    const r = await svc.requestAccess({ requester: alice, connection: 'prod', forMs: 60_000, reason: 'x' });
    expect((await refusal(svc.decide(r.id, root, 'approve'))).kind).toBe('access_denied');
    expect((await svc.decide(r.id, glass, 'force-approve')).status).toBe('approved');
    expect((await refusal(svc.requestAccess({ requester: alice, connection: 'prod', forMs: 0, reason: 'x' }))).kind).toBe('bad_request');
  });
});

describe('inbox', () => {
  it('lists pending reviews the actor may decide, oldest first, never their own', async () => {
    const first = await ask();
    clock.advance(1000);
    const bobs = await ask({}, 'DROP TABLE t', bob);
    clock.advance(1000);
    const secOnly = await ask({ approverGroups: ['security'] });
    clock.advance(1000);
    const decided = await ask({ approvals: 2 });
    await svc.decide(decided.id, carol, 'approve');
    expect((await svc.inbox(carol)).map((r) => r.id)).toEqual([first.id, bobs.id, secOnly.id]);
    expect((await svc.inbox(bob)).map((r) => r.id)).toEqual([first.id, decided.id]);
    expect((await svc.inbox(root)).map((r) => r.id)).toEqual([]);
    expect((await svc.inbox(glass)).map((r) => r.id)).toEqual([first.id, bobs.id, secOnly.id, decided.id]);
    clock.advance(600_000);
    expect(await svc.inbox(carol)).toEqual([]);
  });
});
