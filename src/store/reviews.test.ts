import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Review, ReviewPolicy } from '../core/review/types.ts';
import { openStore, type Store, type StoreOptions } from './index.ts';
import { storeBackends } from './testing.ts';

// The review repository on both back-ends, in the same shape as store.test.ts.

const backends = storeBackends;

const t0 = new Date('2026-03-01T10:00:00.123Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const unique = (p: string) => `${p}-${randomBytes(4).toString('hex')}`;

const policy: ReviewPolicy = {
  mode: 'queue',
  approverGroups: ['dba', 'security'],
  approvals: 2,
  eachGroup: true,
  timeoutMs: 600_000,
  approvalWindowMs: 3_600_000,
  maxRuns: 1,
  requireJustification: false,
};

function review(over: Partial<Omit<Review, 'id'>> = {}): Omit<Review, 'id'> {
  return {
    kind: 'command',
    status: 'pending',
    requester: 'alice',
    requesterGroups: ['dev'],
    connection: 'prod',
    text: "DELETE FROM users WHERE email = '***'",
    fingerprint: 'fp1',
    justification: 'ticket 42',
    rules: ['deletes-need-review'],
    policy,
    createdAt: t0,
    notifiedAt: null,
    expiresAt: at(600_000),
    decisions: [],
    decidedAt: null,
    validUntil: null,
    accessForMs: null,
    runs: 0,
    notifyErrors: [],
    ...over,
  };
}

describe.each(backends)('review repository on $name', (backend) => {
  let store: Store;
  let opts: StoreOptions;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ opts, cleanup } = await backend.setup());
    store = await openStore(opts);
  });
  afterAll(async () => {
    await store?.close();
    await cleanup?.();
  });

  it('assigns R-n ids in order and round-trips every field', async () => {
    const a = await store.reviews.create(review());
    const b = await store.reviews.create(review({ kind: 'access', text: null, fingerprint: null, accessForMs: 7_200_000 }));
    expect(a.id).toMatch(/^R-\d+$/);
    expect(Number(b.id.slice(2))).toBe(Number(a.id.slice(2)) + 1);
    expect(await store.reviews.get(a.id)).toEqual({ ...review(), id: a.id });
    expect(await store.reviews.get(b.id)).toMatchObject({ kind: 'access', text: null, accessForMs: 7_200_000 });
    expect(await store.reviews.get('R-999999')).toBeUndefined();
  });

  it('never hands out the same id to concurrent creates (two store handles on PostgreSQL)', async () => {
    // Two better-sqlite3 handles in one thread would wait on each other's lock synchronously;
    // SQLite replicas are separate processes, so the SQLite case shares one handle.
    const second = backend.name === 'postgres' ? await openStore(opts) : store;
    try {
      const made = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? store : second).reviews.create(review())));
      expect(new Set(made.map((r) => r.id)).size).toBe(10);
    } finally {
      if (second !== store) await second.close();
    }
  });

  it('lists oldest first with filters and a limit', async () => {
    const who = unique('u');
    const conn = unique('c');
    const late = await store.reviews.create(review({ requester: who, connection: conn, createdAt: at(2000) }));
    const early = await store.reviews.create(review({ requester: who, connection: conn, createdAt: at(1000), fingerprint: 'other' }));
    const access = await store.reviews.create(review({ requester: who, connection: conn, createdAt: at(3000), kind: 'access', status: 'approved' }));
    expect((await store.reviews.list({ requester: who })).map((r) => r.id)).toEqual([early.id, late.id, access.id]);
    expect((await store.reviews.list({ requester: who, status: 'pending' })).map((r) => r.id)).toEqual([early.id, late.id]);
    expect((await store.reviews.list({ connection: conn, kind: 'access' })).map((r) => r.id)).toEqual([access.id]);
    expect((await store.reviews.list({ connection: conn, fingerprint: 'other' })).map((r) => r.id)).toEqual([early.id]);
    expect((await store.reviews.list({ requester: who, limit: 1 })).map((r) => r.id)).toEqual([early.id]);
  });

  it('updates only when the status (and counts, when given) still match', async () => {
    const r = await store.reviews.create(review());
    const decision = { by: 'bob', groups: ['dba'], decision: 'approve' as const, reason: null, at: at(10) };
    const one = await store.reviews.update(r.id, 'pending', { decisions: [decision] }, { decisions: 0 });
    expect(one?.decisions).toEqual([decision]);
    // A second writer that read the review before the first approval loses.
    expect(await store.reviews.update(r.id, 'pending', { decisions: [{ ...decision, by: 'carol' }] }, { decisions: 0 })).toBeUndefined();
    const approved = await store.reviews.update(r.id, 'pending', { status: 'approved', decidedAt: at(20), validUntil: at(3_600_020), notifyErrors: ['webhook: 500'] });
    expect(approved).toMatchObject({ status: 'approved', decidedAt: at(20), validUntil: at(3_600_020), notifyErrors: ['webhook: 500'] });
    expect(await store.reviews.update(r.id, 'pending', { status: 'denied' })).toBeUndefined();
    expect(await store.reviews.update(r.id, 'approved', { runs: 1, status: 'executed' }, { runs: 1 })).toBeUndefined();
    expect(await store.reviews.update(r.id, 'approved', { runs: 1, status: 'executed' }, { runs: 0 })).toMatchObject({ runs: 1, status: 'executed' });
    expect(await store.reviews.update(r.id, 'executed', {})).toMatchObject({ status: 'executed' });
    expect(await store.reviews.update('R-999999', 'pending', { status: 'denied' })).toBeUndefined();
    expect((await store.reviews.get(r.id))?.decisions).toEqual([decision]);
  });
});
