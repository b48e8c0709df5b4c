import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../store/index.ts';
import { manualClock } from '../clock.ts';
import type { ReviewSpec } from '../policy/rules.ts';
import { passReview, type GateInput } from './gate.ts';
import { createReviewService, type RunningReviewService } from './service.ts';
import type { Actor } from './service-types.ts';

// The gate over the real review service and a SQLite store, with a manual clock:
// execution windows and justifications.

const alice: Actor = { name: 'alice', groups: ['dev'], role: 'user' };
const bob: Actor = { name: 'bob', groups: ['dba'], role: 'user' };
const office = { days: ['mon', 'tue', 'wed', 'thu', 'fri'] as ('mon' | 'tue' | 'wed' | 'thu' | 'fri')[], hours: '09:00-17:00', tz: 'Europe/Paris' };
const del = 'DELETE FROM t WHERE id = 1';
// Friday 2026-05-01 16:00Z = 18:00 in Paris: after hours.
const evening = new Date('2026-05-01T16:00:00Z');

let dir: string;
let store: Store;
let clock: ReturnType<typeof manualClock>;
let svc: RunningReviewService;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-gate-'));
  store = await openStore({ url: '', sqlitePath: join(dir, 'w.db'), pgSchema: 'unused' });
  clock = manualClock(evening);
  svc = createReviewService({
    repo: store.reviews,
    clock,
    notifier: { notify: async () => [] },
    log: pino({ level: 'silent' }),
    fingerprint: (t) => createHash('sha256').update(t.trim()).digest('hex'),
    maskLiterals: (t) => t,
    links: (id) => ({ view: id, approve: id, deny: id }),
    breakGlassGroups: [],
    pollIntervalMs: 20,
  });
});
afterEach(async () => {
  await svc.flush();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function gate(review: Partial<ReviewSpec>, over: Partial<GateInput> = {}) {
  return passReview({
    reviews: svc,
    actor: alice,
    connection: 'prod',
    text: del,
    verdict: { effect: 'review', rules: [{ id: 'r', reason: 'x' }], approvers: ['dba'], message: 'approval by dba is required', review: review as ReviewSpec },
    defaultApprovers: [],
    cancel: new AbortController().signal,
    ended: new AbortController().signal,
    clock,
    onWaiting: () => undefined,
    ...over,
  });
}

const reviewIdOf = (v: Awaited<ReturnType<typeof gate>>) => v.rules.find((r) => r.id.startsWith('review:'))!.id.slice('review:'.length);

describe('execution windows, queue mode', () => {
  it('an approved statement outside its window is refused without using the approval; inside it runs once', async () => {
    const spec = { mode: 'queue' as const, window: office };
    const first = await gate(spec);
    expect(first.effect).toBe('block');
    const id = reviewIdOf(first);
    await svc.decide(id, bob, 'approve');

    const outside = await gate(spec);
    expect(outside).toMatchObject({ effect: 'block' });
    expect(outside.effect === 'block' && outside.message).toBe(`review ${id} is approved, but it may only run Mon–Fri 09:00–17:00 Europe/Paris; run the same statement again inside that window (the approval is kept)`);
    expect(await svc.get(id)).toMatchObject({ status: 'approved', runs: 0 });
    expect(await svc.list({ requester: 'alice' })).toHaveLength(1); // no second review opened
    expect(await svc.consumeApproved('alice', 'prod', del)).toBeUndefined(); // the service itself will not spend it either

    clock.advance(15 * 3_600_000); // Saturday 07:00Z: still closed
    expect((await gate({ ...spec, approvalWindowMinutes: 7 * 24 * 60 })).effect).toBe('block');
    expect(await svc.get(id)).toMatchObject({ runs: 0 });
  });

  it('runs inside the window and uses the approval', async () => {
    clock.advance(-7 * 3_600_000); // 09:00Z = 11:00 Paris
    const spec = { mode: 'queue' as const, window: office };
    const id = reviewIdOf(await gate(spec));
    await svc.decide(id, bob, 'approve');
    expect((await gate(spec)).effect).toBe('allow');
    expect(await svc.get(id)).toMatchObject({ status: 'executed', runs: 1 });
  });

  it('merged windows of several rules: all must be open', async () => {
    clock.advance(-7 * 3_600_000); // 11:00 Paris, 09:00Z
    const spec = { mode: 'queue' as const, windows: [office, { hours: '00:00-08:00', tz: 'UTC' }] };
    const id = reviewIdOf(await gate(spec));
    await svc.decide(id, bob, 'approve');
    const v = await gate(spec);
    expect(v.effect === 'block' && v.message).toContain('may only run any day 00:00–08:00 UTC');
  });
});

describe('execution windows, hold mode', () => {
  it('an approval that lands outside the window leaves the statement blocked with the window', async () => {
    let id = '';
    const held = gate({ mode: 'hold', window: office }, { onWaiting: (r) => (id = r.id) });
    await expect.poll(() => id).not.toBe('');
    await svc.decide(id, bob, 'approve');
    const v = await held;
    expect(v.effect).toBe('block');
    expect(v.effect === 'block' && v.message).toMatch(/is approved, but it may only run Mon–Fri 09:00–17:00 Europe\/Paris; it was not run/);
  });

  it('inside the window the approval runs it', async () => {
    clock.advance(-7 * 3_600_000);
    let id = '';
    const held = gate({ mode: 'hold', window: office }, { onWaiting: (r) => (id = r.id) });
    await expect.poll(() => id).not.toBe('');
    await svc.decide(id, bob, 'approve');
    expect((await held).effect).toBe('allow');
  });
});

describe('justification', () => {
  it('a rule that needs one refuses at once, saying how to give it, and opens no review', async () => {
    const v = await gate({ mode: 'hold', requireJustification: true }, { justification: '  ', justificationHint: 'start with /* justification: … */' });
    expect(v.effect === 'block' && v.message).toBe('approval by dba is required; this rule needs a written justification: start with /* justification: … */');
    expect(await svc.list({})).toEqual([]);
  });

  it('is stored on the review; a queue re-run after approval needs none', async () => {
    const spec = { mode: 'queue' as const, requireJustification: true };
    const id = reviewIdOf(await gate(spec, { justification: 'INC-123 rotate keys' }));
    expect(await svc.get(id)).toMatchObject({ justification: 'INC-123 rotate keys', status: 'pending' });
    await svc.decide(id, bob, 'approve');
    expect((await gate(spec)).effect).toBe('allow');
  });
});
