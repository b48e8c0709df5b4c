import { describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { api, approve, Fixture, GatewayClient, showReview, until, reviewSuite } from './support.ts';

/**
 * Queue mode and access requests through the real gateway: a reviewed DELETE
 * is refused at once with the review id; once approved, the same user sending
 * the same statement on the same connection runs it exactly once. An approved
 * access request lets reviewed statements on that connection run without a
 * new review until the grant expires.
 */
const fx = new Fixture(`w_reviews_queue_${process.pid}`);
const rules = [
  { id: 'queue-deletes', match: { kinds: ['DeleteStmt'], connections: ['queue*'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'queue' } },
  { id: 'queue-twice', match: { kinds: ['DeleteStmt'], connections: ['twice'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'queue', maxRuns: 2 } },
  // 0.01 min = 600 ms to use an approval.
  { id: 'queue-window', match: { kinds: ['DeleteStmt'], connections: ['window'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'queue', approvalWindowMinutes: 0.01 } },
  { id: 'allow-other', match: {}, effect: 'allow' },
];

let t: TestGateway;
// Access requests are decided by `reviews.defaultApproverGroups`, not by the rule's approvers.
const suite = reviewSuite({
  fx,
  start: async () => (t = await startTestGateway({ rules, config: { reviews: { defaultApproverGroups: ['access-approvers'] } } })),
  connections: ['queue', 'queue-b', 'twice', 'window'],
  users: { alice: [], bob: [], dan: ['dbas'], gina: ['access-approvers'] },
});
const { tok } = suite;

const client = (user: string, connection = 'queue') => suite.client(user, connection);

/** Runs a statement expected to be refused with an open review; returns the review id. */
async function refused(c: GatewayClient, text: string): Promise<string> {
  const err = await c.start(text).error();
  expect(err.code).toBe('42501');
  const id = /review (R-\d+) is open/.exec(err.message)?.[1];
  expect(id, err.message).toBeDefined();
  return id!;
}

describe('queue mode', () => {
  it('refuses at once with the review id; after approval the same statement runs exactly once', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    const text = `delete from ${fx.table} where id = 1`;
    const id = await refused(alice, text);
    expect(alice.notices).toEqual([]); // queue mode never holds
    expect((await showReview(t, tok.alice!, id)).body).toMatchObject({ status: 'pending', mode: 'queue', rules: ['queue-deletes'], runs: 0, maxRuns: 1 });
    expect(await fx.ids()).toEqual([1, 2, 3]);

    expect(await approve(t, tok.dan!, id)).toMatchObject({ status: 200, body: { status: 'approved', validUntil: expect.any(String) } });
    expect(await fx.ids()).toEqual([1, 2, 3]); // approval alone runs nothing

    // Not the same statement, not the same user, not the same connection: each a new review.
    expect(await refused(alice, `delete from ${fx.table} where id = 2`)).not.toBe(id);
    expect(await refused(bob, text)).not.toBe(id);
    const aliceB = await client('alice', 'queue-b');
    expect(await refused(aliceB, text)).not.toBe(id);
    expect(await fx.ids()).toEqual([1, 2, 3]);

    const ran = await alice.client.query(text);
    expect(ran.command).toBe('DELETE');
    expect(ran.rowCount).toBe(1);
    expect(await fx.ids()).toEqual([2, 3]);
    expect((await showReview(t, tok.alice!, id)).body).toMatchObject({ status: 'executed', runs: 1 });

    // Exactly once: the next run is a new review.
    await fx.reset();
    const again = await refused(alice, text);
    expect(again).not.toBe(id);
    expect(await fx.ids()).toEqual([1, 2, 3]);
  });
});

describe('queue mode settings', () => {
  it('maxRuns 2: the approved statement runs twice, the third time is a new review', async () => {
    const alice = await client('alice', 'twice');
    const text = `delete from ${fx.table} where id = 1`;
    const id = await refused(alice, text);
    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    expect((await alice.client.query(text)).rowCount).toBe(1);
    expect((await showReview(t, tok.alice!, id)).body).toMatchObject({ status: 'approved', runs: 1, maxRuns: 2 });
    expect((await alice.client.query(text)).rowCount).toBe(0);
    expect((await showReview(t, tok.alice!, id)).body).toMatchObject({ status: 'executed', runs: 2 });
    expect(await refused(alice, text)).not.toBe(id);
  });

  it('an approval unused within its window no longer runs anything', async () => {
    const alice = await client('alice', 'window');
    const text = `delete from ${fx.table} where id = 1`;
    const id = await refused(alice, text);
    const approved = await approve(t, tok.dan!, id);
    expect(approved.status).toBe(200);
    // Wait (bounded by what the API said) until the window has closed.
    const closes = Date.parse(approved.body.validUntil as string);
    await new Promise((r) => setTimeout(r, Math.max(0, closes - Date.now()) + 50));
    expect(await refused(alice, text)).not.toBe(id);
    expect(await fx.ids()).toEqual([1, 2, 3]);
    const after = (await showReview(t, tok.alice!, id)).body;
    expect(after.runs).toBe(0);
    expect(['approved', 'expired']).toContain(after.status);
  });
});

describe('access requests', () => {
  it('an approved grant lets reviewed statements on that connection run without a review, until it expires', async () => {
    const alice = await client('alice');
    const before = await refused(alice, `delete from ${fx.table} where id = 1`);

    const asked = await api(t, tok.alice!, 'POST', '/api/v1/access-requests', { connection: 'queue', for: 3000, reason: 'INC-42 cleanup' });
    expect(asked).toMatchObject({ status: 201, body: { kind: 'access', status: 'pending', requester: 'alice', connection: 'queue', accessForMs: 3000, approverGroups: ['access-approvers'] } });
    const grant = asked.body.id as string;
    // Pending is not granted.
    expect(await refused(alice, `delete from ${fx.table} where id = 1`)).not.toBe(before);
    // The rule's approvers do not decide access; the configured access approvers do; never the requester.
    expect((await approve(t, tok.dan!, grant)).status).toBe(403);
    expect((await approve(t, tok.alice!, grant)).status).toBe(403);
    expect(await approve(t, tok.gina!, grant)).toMatchObject({ status: 200, body: { status: 'approved', validUntil: expect.any(String) } });

    const reviewsBefore = (await api(t, tok.alice!, 'GET', '/api/v1/reviews?mine=true')).body as unknown as unknown[];
    const ran = await alice.client.query(`delete from ${fx.table} where id = 1`);
    expect(ran.rowCount).toBe(1);
    expect((await alice.client.query(`delete from ${fx.table} where id = 2`)).rowCount).toBe(1);
    expect(await fx.ids()).toEqual([3]);
    expect((await api(t, tok.alice!, 'GET', '/api/v1/reviews?mine=true')).body).toHaveLength(reviewsBefore.length);

    // Only on that connection, only for that user.
    const aliceB = await client('alice', 'queue-b');
    await refused(aliceB, `delete from ${fx.table} where id = 3`);
    const bob = await client('bob');
    await refused(bob, `delete from ${fx.table} where id = 3`);
    expect(await fx.ids()).toEqual([3]);

    // After expiry the same kind of statement is refused again (polled with a DELETE that matches no row).
    const after = await until('the grant to expire', async () => {
      const o = await alice.start(`delete from ${fx.table} where id = -1`).outcome;
      return o.ok ? undefined : o.error;
    }, 10_000);
    expect(after.code).toBe('42501');
    expect(after.message).toMatch(/review R-\d+ is open/);
    expect(await refused(alice, `delete from ${fx.table} where id = 3`)).toBeDefined();
    expect(await fx.ids()).toEqual([3]);
  });

  it('bad access requests: unknown connection 404, no reason or a zero duration 400', async () => {
    expect((await api(t, tok.alice!, 'POST', '/api/v1/access-requests', { connection: 'nope', for: '2h', reason: 'x' })).status).toBe(404);
    expect((await api(t, tok.alice!, 'POST', '/api/v1/access-requests', { connection: 'queue', for: '2h', reason: '  ' })).status).toBe(400);
    expect((await api(t, tok.alice!, 'POST', '/api/v1/access-requests', { connection: 'queue', for: 0, reason: 'x' })).status).toBe(400);
    const ok = await api(t, tok.alice!, 'POST', '/api/v1/access-requests', { connection: 'queue', for: '1h30m', reason: 'x' });
    expect(ok).toMatchObject({ status: 201, body: { accessForMs: 5_400_000 } });
  });
});
