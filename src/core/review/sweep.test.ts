import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../store/index.ts';
import { manualClock } from '../clock.ts';
import { LiveSessions } from '../session/live.ts';
import { createReviewService, type RunningReviewService } from './service.ts';
import type { Actor } from './service-types.ts';
import { createReviewSweeper } from './sweep.ts';
import type { ReviewPolicy } from './types.ts';

// The sweeper over the real service, store and live-session registry, with a manual clock.

const alice: Actor = { name: 'alice', groups: [], role: 'user' };
const gina: Actor = { name: 'gina', groups: ['access'], role: 'user' };
const accessPolicy: ReviewPolicy = {
  mode: 'hold',
  approverGroups: ['access'],
  approvals: 1,
  eachGroup: false,
  timeoutMs: 3_600_000,
  approvalWindowMs: 0,
  maxRuns: 1,
  requireJustification: true,
};

let dir: string;
let store: Store;
let clock: ReturnType<typeof manualClock>;
let svc: RunningReviewService;
let live: LiveSessions;
let killed: Record<string, string>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-sweep-'));
  store = await openStore({ url: '', sqlitePath: join(dir, 'w.db'), pgSchema: 'unused' });
  clock = manualClock(new Date('2026-05-01T09:00:00Z'));
  svc = createReviewService({
    repo: store.reviews,
    clock,
    notifier: { notify: async () => [] },
    log: pino({ level: 'silent' }),
    fingerprint: (t) => createHash('sha256').update(t).digest('hex'),
    maskLiterals: (t) => t,
    links: (id) => ({ view: id, approve: id, deny: id }),
    breakGlassGroups: [],
    accessPolicy,
  });
  live = new LiveSessions();
  killed = {};
});
afterEach(async () => {
  await svc.flush();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function session(id: string, user: string, connection: string) {
  live.add({ id, user, connection, protocol: 'postgres', startedAt: clock.now(), kill: (reason) => (killed[id] = reason) });
}

async function grant(forMs: number, closeSessionsOnExpiry?: boolean, connection = 'prod') {
  const r = await svc.requestAccess({ requester: alice, connection, forMs, reason: 'INC-1', ...(closeSessionsOnExpiry === undefined ? {} : { closeSessionsOnExpiry }) });
  return svc.decide(r.id, gina, 'approve');
}

describe('closing sessions when an access grant lapses', () => {
  it('ends the requester’s sessions on that connection that started before expiry, once, with the reason', async () => {
    const sweeper = createReviewSweeper({ reviews: svc, live, clock, log: pino({ level: 'silent' }) });
    const g = await grant(60_000, true);
    session('s1', 'alice', 'prod');
    session('s2', 'alice', 'other');
    session('s3', 'bob', 'prod');
    expect(await sweeper.sweep()).toEqual({ expired: 0, closed: [] }); // still in force
    clock.advance(60_000);
    expect((await sweeper.sweep()).closed).toEqual(['s1']);
    expect(killed.s1).toMatch(new RegExp(`access grant ${g.id} for prod expired at .*; ask for access again`));
    expect(Object.keys(killed)).toEqual(['s1']);

    // A session opened after the grant lapsed never ran under it: left alone, by this sweep and later ones.
    session('s4', 'alice', 'prod');
    clock.advance(1000);
    expect((await sweeper.sweep()).closed).toEqual([]);
    expect(await svc.activeGrant('alice', 'prod')).toBeUndefined();
  });

  it('leaves sessions open for grants without the setting, and while another grant is in force', async () => {
    const sweeper = createReviewSweeper({ reviews: svc, live, clock, log: pino({ level: 'silent' }) });
    await grant(60_000, false);
    await grant(60_000); // the policy default (off here)
    await grant(30_000, true);
    await grant(120_000, false); // still in force after the 30 s grant lapses
    session('s1', 'alice', 'prod');
    clock.advance(60_000);
    expect((await sweeper.sweep()).closed).toEqual([]);
    expect(killed).toEqual({});
    expect(await svc.lapsedGrants(new Date(0))).toEqual([]);
  });

  it('the policy default applies to requests that say nothing; expired pending reviews are still swept', async () => {
    const closing = createReviewService({
      repo: store.reviews,
      clock,
      notifier: { notify: async () => [] },
      log: pino({ level: 'silent' }),
      fingerprint: (t) => t,
      maskLiterals: (t) => t,
      links: (id) => ({ view: id, approve: id, deny: id }),
      breakGlassGroups: [],
      accessPolicy: { ...accessPolicy, closeSessionsOnExpiry: true },
    });
    const sweeper = createReviewSweeper({ reviews: closing, live, clock, log: pino({ level: 'silent' }) });
    const r = await closing.requestAccess({ requester: alice, connection: 'prod', forMs: 1000, reason: 'x' });
    expect(r.policy.closeSessionsOnExpiry).toBe(true);
    await closing.decide(r.id, gina, 'approve');
    await closing.requestAccess({ requester: alice, connection: 'prod', forMs: 1000, reason: 'left pending' });
    session('s1', 'alice', 'prod');
    clock.advance(3_600_000);
    expect(await sweeper.sweep()).toEqual({ expired: 1, closed: ['s1'] });
  });
});
