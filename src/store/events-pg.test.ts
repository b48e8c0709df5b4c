import { createHash } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../core/clock.ts';
import type { EventBus, WardenEvent } from '../core/events.ts';
import { createReviewService, type RunningReviewService } from '../core/review/service.ts';
import type { ReviewPolicy } from '../core/review/types.ts';
import { openEventBus } from './events.ts';
import { openStore, type Store } from './index.ts';
import { storeBackends, testPgUrl } from './testing.ts';

const log = pino({ level: 'silent' });
const pgBackend = storeBackends.find((b) => b.name === 'postgres')!;
const policy: ReviewPolicy = { mode: 'hold', approverGroups: ['dba'], approvals: 1, eachGroup: false, timeoutMs: 600_000, approvalWindowMs: 60_000, maxRuns: 1, requireJustification: false };

/** Resolves with the first `n` events `bus` hears. */
function hear(bus: EventBus, n: number): Promise<WardenEvent[]> {
  const got: WardenEvent[] = [];
  return new Promise((resolve) => {
    const off = bus.subscribe((e) => {
      got.push(e);
      if (got.length === n) (off(), resolve(got));
    });
  });
}

describe('events over PostgreSQL LISTEN/NOTIFY', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.reverse()) await c();
    closers.length = 0;
  });
  const bus = async (schema: string) => {
    const b = await openEventBus({ kind: 'postgres', url: testPgUrl, schema, log });
    closers.push(() => b.close());
    return b;
  };

  it('reaches every replica on the same schema, the publisher included, and no other schema', async () => {
    const schema = `warden_test_ev_${Date.now().toString(36)}`;
    const [a, b, other] = [await bus(schema), await bus(schema), await bus(`${schema}_x`)];
    let strayed = 0;
    other.subscribe(() => strayed++);
    const atA = hear(a, 2);
    const atB = hear(b, 2);
    await b.publish({ type: 'token.revoked', tokenId: 'tok_1' });
    await a.publish({ type: 'agent.revoked', agent: 'edge' });
    const expected = [{ type: 'token.revoked', tokenId: 'tok_1' }, { type: 'agent.revoked', agent: 'edge' }];
    expect(await atA).toEqual(expected);
    expect(await atB).toEqual(expected);
    // A marker on the other schema proves its listener was live, and that it heard only that.
    const marker = hear(other, 1);
    await other.publish({ type: 'policy.changed' });
    expect(await marker).toEqual([{ type: 'policy.changed' }]);
    expect(strayed).toBe(1);
  });

  it('ignores a payload that is not an event', async () => {
    const schema = `warden_test_ev_${Date.now().toString(36)}m`;
    const a = await bus(schema);
    const heard = hear(a, 1);
    const c = new pg.Client({ connectionString: testPgUrl });
    await c.connect();
    await c.query('select pg_notify($1, $2)', [`warden_events_${schema}`, '{"type":"token.revoked"}']);
    await c.query('select pg_notify($1, $2)', [`warden_events_${schema}`, 'not json']);
    await c.end();
    await a.publish({ type: 'replicas.changed' });
    expect(await heard).toEqual([{ type: 'replicas.changed' }]);
  });

  it('a decision on one replica wakes a hold on another at once, with polling out of reach', async () => {
    const s = await pgBackend.setup();
    closers.push(s.cleanup);
    const clock = manualClock(new Date('2026-05-01T09:00:00Z'));
    const replica = async (): Promise<RunningReviewService> => {
      const store: Store = await openStore(s.opts);
      const events = await bus(s.opts.pgSchema);
      closers.push(() => store.close());
      return createReviewService({
        repo: store.reviews,
        clock,
        notifier: { notify: async () => [] },
        log,
        fingerprint: (t) => createHash('sha256').update(t).digest('hex'),
        maskLiterals: (t) => t,
        links: (id) => ({ view: id, approve: id, deny: id }),
        breakGlassGroups: [],
        // An hour: only the event can wake the hold within the test.
        pollIntervalMs: 3_600_000,
        events,
      });
    };
    const a = await replica();
    const b = await replica();
    const r = await a.requestCommand({ requester: { name: 'alice', groups: ['dev'], role: 'user' }, connection: 'prod', text: 'UPDATE t SET x = 1', rules: [], policy });
    const waiting = a.waitForDecision(r.id, new AbortController().signal);
    await b.decide(r.id, { name: 'bob', groups: ['dba'], role: 'user' }, 'approve');
    expect(await waiting).toMatchObject({ id: r.id, status: 'approved' });
  });
});
