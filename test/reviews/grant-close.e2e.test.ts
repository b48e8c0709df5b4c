import { describe, expect, it } from 'vitest';
import { startClockedGateway, type ClockedGateway } from './clocked.ts';
import { api, approve, Fixture, GatewayClient, pause, until, reviewSuite } from './support.ts';

/**
 * Access grants that close sessions when they lapse, through the real
 * gateway on its injected clock (the sweep runs every 50 ms here). With
 * `reviews.access.closeSessionsOnExpiry`, the requester's sessions on that
 * connection that ran under the grant are ended with the reason; other users,
 * other connections and sessions opened after expiry are left alone. Without
 * it, sessions stay open but reviewed statements need a review again.
 */
const fx = new Fixture(`w_reviews_grantclose_${process.pid}`);
const rules = [
  { id: 'queue-deletes', match: { kinds: ['DeleteStmt'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'queue' } },
  { id: 'allow-other', match: {}, effect: 'allow' },
];

let t: ClockedGateway;
const suite = reviewSuite({
  fx,
  start: async () => (t = await startClockedGateway({
      rules,
      at: new Date('2026-05-01T09:00:00Z'),
      config: { reviews: { defaultApproverGroups: ['access-approvers'], access: { closeSessionsOnExpiry: true }, sweepIntervalMs: 50 } },
    })),
  connections: ['gc', 'gc-other', 'gc-keep'],
  users: { alice: [], bob: [], gina: ['access-approvers'] },
});
const { tok } = suite;

const client = suite.client;

const alive = async (c: GatewayClient) => (await c.client.query('select 1 as one')).rows[0].one === 1;

describe('access grants that close sessions at expiry', () => {
  it('ends the requester’s sessions on that connection when the grant lapses, with the reason', async () => {
    const alice = await client('alice', 'gc');
    const aliceOther = await client('alice', 'gc-other');
    const bob = await client('bob', 'gc');

    const asked = await api(t, tok.alice!, 'POST', '/api/v1/access-requests', { connection: 'gc', for: 60_000, reason: 'INC-5 cleanup' });
    expect(asked.status).toBe(201);
    const grant = asked.body.id as string;
    expect((await approve(t, tok.gina!, grant)).status).toBe(200);
    expect((await alice.client.query(`delete from ${fx.table} where id = 1`)).rowCount).toBe(1);

    // Still in force: sweeps come and go, nothing is closed.
    await pause(200);
    expect(await alive(alice)).toBe(true);

    t.clock.advance(60_001);
    const err = await until('the session to be closed', async () => alice.errors[0], 5_000);
    expect(err.message).toMatch(new RegExp(`terminating connection: access grant ${grant} for gc expired at .*; ask for access again`));
    expect(await alive(aliceOther)).toBe(true);
    expect(await alive(bob)).toBe(true);

    // A session opened after the grant lapsed is not closed, and reviewed statements need a review again.
    const later = await client('alice', 'gc');
    await pause(200);
    expect(await alive(later)).toBe(true);
    expect((await later.start(`delete from ${fx.table} where id = 2`).error()).message).toMatch(/review R-\d+ is open/);
    expect(await fx.ids()).toEqual([2, 3]);
  });

  it('a grant asked without closing keeps its sessions open, and their reviewed statements are refused after expiry', async () => {
    const alice = await client('alice', 'gc-keep');
    const r = await t.gw.core.reviews.requestAccess({ requester: { name: 'alice', groups: [], role: 'user' }, connection: 'gc-keep', forMs: 60_000, reason: 'INC-6', closeSessionsOnExpiry: false });
    expect((await approve(t, tok.gina!, r.id)).status).toBe(200);
    expect((await alice.client.query(`delete from ${fx.table} where id = 1`)).rowCount).toBe(1);
    t.clock.advance(60_001);
    await pause(200);
    expect(await alive(alice)).toBe(true);
    expect(alice.errors).toEqual([]);
    expect((await alice.start(`delete from ${fx.table} where id = 2`).error()).message).toMatch(/review R-\d+ is open/);
    expect(await fx.ids()).toEqual([2, 3]);
  });
});
