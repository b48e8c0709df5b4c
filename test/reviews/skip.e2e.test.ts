import { describe, expect, it } from 'vitest';
import { endedSession, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { Fixture, reviewSuite } from './support.ts';

/**
 * Groups that skip review: a member of a rule's `skipGroups` runs the statement
 * at once (recorded as `review:skipped`); everyone else still gets a review.
 * With two deciding rules, only a group both let skip skips.
 */
const fx = new Fixture(`w_reviews_skip_${process.pid}`);
const rules = [
  { id: 'deletes', match: { kinds: ['DeleteStmt'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'queue', skipGroups: ['oncall', 'sre'] } },
  { id: 'big-deletes', match: { kinds: ['DeleteStmt'], connections: ['strict'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'queue', skipGroups: ['sre'] } },
  { id: 'allow-other', match: {}, effect: 'allow' },
];

let t: TestGateway;
const suite = reviewSuite({
  fx,
  start: async () => (t = await startTestGateway({ rules })),
  connections: ['loose', 'strict'],
  users: { olive: ['oncall'], sam: ['sre'], alice: [] },
});
const client = suite.client;

describe('groups that skip review', () => {
  it('lets a member run at once and records why; others get a review', async () => {
    const olive = await client('olive', 'loose');
    expect((await olive.start(`delete from ${fx.table} where id = 1`).result()).rowCount).toBe(1);
    expect(await fx.ids()).toEqual([2, 3]);
    const alice = await client('alice', 'loose');
    const err = await alice.start(`delete from ${fx.table} where id = 2`).error();
    expect(err).toMatchObject({ code: '42501' });
    expect(err.message).toMatch(/review R-\d+ is open/);
    expect(await fx.ids()).toEqual([2, 3]);
    await olive.end();
    const { events } = await endedSession(t, 'olive');
    const st = events.find((e) => e.type === 'statement' && e.text.startsWith('delete'));
    expect(st?.type === 'statement' && st.verdict?.rules).toEqual(expect.arrayContaining(['deletes', 'review:skipped']));
  });

  it('with several deciding rules, skips only for a group every rule lets skip', async () => {
    const olive = await client('olive', 'strict');
    expect(await olive.start(`delete from ${fx.table} where id = 1`).error()).toMatchObject({ code: '42501' });
    const sam = await client('sam', 'strict');
    expect((await sam.start(`delete from ${fx.table} where id = 1`).result()).rowCount).toBe(1);
    expect(await fx.ids()).toEqual([2, 3]);
  });
});
