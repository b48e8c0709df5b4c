import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../store/index.ts';
import { manualClock } from '../clock.ts';
import { createReviewService, type RunningReviewService } from './service.ts';
import type { Actor } from './service-types.ts';
import type { ReviewPolicy } from './types.ts';

// Holds, restarts and replicas: services over the same SQLite file, as two gateways would be.

const alice: Actor = { name: 'alice', groups: ['dev'], role: 'user' };
const bob: Actor = { name: 'bob', groups: ['dba'], role: 'user' };
const policy: ReviewPolicy = {
  mode: 'hold',
  approverGroups: ['dba'],
  approvals: 1,
  eachGroup: false,
  timeoutMs: 600_000,
  approvalWindowMs: 60_000,
  maxRuns: 1,
  requireJustification: false,
};

let dir: string;
let path: string;
let stores: Store[];
let services: RunningReviewService[];
let clock: ReturnType<typeof manualClock>;

/** A gateway replica: its own store handle and its own service instance. */
async function replica(pollIntervalMs = 25): Promise<RunningReviewService> {
  const store = await openStore({ url: '', sqlitePath: path, pgSchema: 'unused' });
  stores.push(store);
  const svc = createReviewService({
    repo: store.reviews,
    clock,
    notifier: { notify: async () => [] },
    log: pino({ level: 'silent' }),
    fingerprint: (t) => createHash('sha256').update(t).digest('hex'),
    maskLiterals: (t) => t,
    links: (id) => ({ view: id, approve: id, deny: id }),
    breakGlassGroups: [],
    pollIntervalMs,
  });
  services.push(svc);
  return svc;
}

const hold = (svc: RunningReviewService, text = 'UPDATE t SET x = 1') => svc.requestCommand({ requester: alice, connection: 'prod', text, rules: [], policy });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-review-wait-'));
  path = join(dir, 'w.db');
  stores = [];
  services = [];
  clock = manualClock(new Date('2026-05-01T09:00:00Z'));
});
afterEach(async () => {
  for (const s of services) await s.flush();
  for (const s of stores) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('waitForDecision', () => {
  it('wakes at once when this instance decides (no polling needed)', async () => {
    // A poll interval far beyond the test timeout: only the in-process wake-up can resolve it.
    const svc = await replica(3_600_000);
    const r = await hold(svc);
    const waiting = svc.waitForDecision(r.id, new AbortController().signal);
    await svc.decide(r.id, bob, 'approve');
    expect(await waiting).toMatchObject({ id: r.id, status: 'approved' });
  });

  it('sees a decision made by another replica over the same store', async () => {
    const a = await replica();
    const b = await replica();
    const r = await hold(a);
    let settled = false;
    const waiting = a.waitForDecision(r.id, new AbortController().signal).finally(() => (settled = true));
    await new Promise((res) => setTimeout(res, 80));
    expect(settled).toBe(false);
    await b.decide(r.id, bob, 'deny', 'no');
    expect(await waiting).toMatchObject({ status: 'denied', decisions: [expect.objectContaining({ by: 'bob', reason: 'no' })] });
  });

  it('rejects with the abort reason when the client goes away, leaving the review pending', async () => {
    const svc = await replica();
    const r = await hold(svc);
    const ac = new AbortController();
    const waiting = svc.waitForDecision(r.id, ac.signal);
    ac.abort(new Error('client cancelled'));
    await expect(waiting).rejects.toThrow('client cancelled');
    expect((await svc.get(r.id)).status).toBe('pending');
    await expect(svc.waitForDecision(r.id, ac.signal)).rejects.toThrow('client cancelled');
  });

  it('resolves as expired once the review outlives its timeout', async () => {
    const svc = await replica();
    const r = await hold(svc);
    const waiting = svc.waitForDecision(r.id, new AbortController().signal);
    clock.advance(600_000);
    expect(await waiting).toMatchObject({ status: 'expired' });
    expect((await svc.get(r.id)).status).toBe('expired');
  });

  it('resolves as cancelled when the requester cancels; nobody else may cancel', async () => {
    const svc = await replica();
    const r = await hold(svc);
    const waiting = svc.waitForDecision(r.id, new AbortController().signal);
    await expect(svc.cancel(r.id, 'bob', 'x')).rejects.toMatchObject({ kind: 'access_denied' });
    expect(await svc.cancel(r.id, 'alice', 'client disconnected')).toMatchObject({ status: 'cancelled' });
    expect(await waiting).toMatchObject({ status: 'cancelled' });
    expect(await svc.cancel(r.id, 'alice', 'again')).toBeUndefined();
    await expect(svc.decide(r.id, bob, 'approve')).rejects.toMatchObject({ kind: 'bad_request' });
  });

  it('rejects not_found for an unknown review', async () => {
    const svc = await replica();
    await expect(svc.waitForDecision('R-77', new AbortController().signal)).rejects.toMatchObject({ kind: 'not_found' });
  });
});

describe('restart', () => {
  it('a new service over the reopened store still sees pending reviews, decides them, and runs queued ones', async () => {
    const before = await replica();
    const held = await hold(before);
    const queued = await before.requestCommand({ requester: alice, connection: 'prod', text: 'DELETE FROM t', rules: [], policy: { ...policy, mode: 'queue' } });
    await before.flush();
    await stores.pop()!.close();
    services.pop();

    const after = await replica();
    expect((await after.inbox(bob)).map((r) => r.id)).toEqual([held.id, queued.id]);
    expect((await after.decide(held.id, bob, 'approve')).status).toBe('approved');
    await after.decide(queued.id, bob, 'approve');
    expect(await after.consumeApproved('alice', 'prod', 'DELETE FROM t')).toMatchObject({ id: queued.id, status: 'executed' });
    const next = await after.requestCommand({ requester: alice, connection: 'prod', text: 'x', rules: [], policy });
    expect(next.id).toBe('R-3');
  });
});
