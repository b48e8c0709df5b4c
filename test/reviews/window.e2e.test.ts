import { describe, expect, it } from 'vitest';
import { startClockedGateway, type ClockedGateway } from './clocked.ts';
import { approve, Fixture, showReview, reviewSuite } from './support.ts';

/**
 * Execution windows through the real gateway, on the gateway's injected
 * clock: an approved DELETE may only run Mon–Fri 09:00–17:00 Europe/Paris.
 * Queue mode: a run after hours is refused with the window and keeps the
 * approval; on Monday morning it runs. Hold mode: an approval that lands
 * after hours leaves the statement blocked.
 */
const fx = new Fixture(`w_reviews_window_${process.pid}`);
const office = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: '09:00-17:00', tz: 'Europe/Paris' };
const rules = [
  { id: 'office-queue', match: { kinds: ['DeleteStmt'], connections: ['wq'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'queue', window: office, approvalWindowMinutes: 7 * 24 * 60 } },
  { id: 'office-hold', match: { kinds: ['DeleteStmt'], connections: ['wh'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'hold', window: office } },
  { id: 'allow-other', match: {}, effect: 'allow' },
];
// Friday 2026-05-01 16:00Z = 18:00 in Paris: after hours.
const fridayEvening = new Date('2026-05-01T16:00:00Z');

let t: ClockedGateway;
const suite = reviewSuite({
  fx,
  start: async () => (t = await startClockedGateway({ rules, at: fridayEvening })),
  connections: ['wq', 'wh'],
  users: { alice: [], dan: ['dbas'] },
  // Every test starts on Friday evening, whatever the one before did to the clock.
  eachTest: () => t.clock.advance(fridayEvening.getTime() - t.clock.now().getTime()),
});
const { tok } = suite;

const client = suite.client;

describe('execution windows', () => {
  it('queue: an approved statement after hours is refused with the window and keeps its approval; inside the window it runs', async () => {
    const alice = await client('alice', 'wq');
    const text = `delete from ${fx.table} where id = 1`;
    const first = await alice.start(text).error();
    const id = /review (R-\d+) is open/.exec(first.message)![1]!;
    expect((await approve(t, tok.dan!, id)).status).toBe(200);

    const late = await alice.start(text).error();
    expect(late.code).toBe('42501');
    expect(late.message).toContain(`review ${id} is approved, but it may only run Mon–Fri 09:00–17:00 Europe/Paris`);
    expect(await fx.ids()).toEqual([1, 2, 3]);
    expect((await showReview(t, tok.alice!, id)).body).toMatchObject({ status: 'approved', runs: 0 });

    // Saturday noon in Paris: still closed.
    t.clock.advance(18 * 3_600_000);
    expect((await alice.start(text).error()).message).toContain('may only run Mon–Fri');
    // Monday 2026-05-04 07:30Z = 09:30 in Paris.
    t.clock.advance(new Date('2026-05-04T07:30:00Z').getTime() - t.clock.now().getTime());
    const ran = await alice.client.query(text);
    expect(ran.rowCount).toBe(1);
    expect(await fx.ids()).toEqual([2, 3]);
    expect((await showReview(t, tok.alice!, id)).body).toMatchObject({ status: 'executed', runs: 1 });
  });

  it('hold: an approval that lands after hours leaves the statement blocked with the window', async () => {
    const alice = await client('alice', 'wh');
    const held = alice.start(`delete from ${fx.table} where id = 2`);
    const id = await alice.heldReview();
    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    const err = await held.error();
    expect(err.code).toBe('42501');
    expect(err.message).toContain(`review ${id} is approved, but it may only run Mon–Fri 09:00–17:00 Europe/Paris; it was not run`);
    expect(await fx.ids()).toEqual([1, 2, 3]);
    // The session carries on.
    expect((await alice.client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('hold: inside the window the approval runs it', async () => {
    t.clock.advance(new Date('2026-05-04T08:00:00Z').getTime() - t.clock.now().getTime());
    const alice = await client('alice', 'wh');
    const held = alice.start(`delete from ${fx.table} where id = 2`);
    const id = await alice.heldReview();
    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    expect((await held.result()).rowCount).toBe(1);
    expect(await fx.ids()).toEqual([1, 3]);
  });
});
