import { describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { approve, Fixture, Pending, showReview, reviewSuite } from './support.ts';

/**
 * Reviews and the extended protocol, and the hold notice's link. A statement
 * that needs review is judged at every Execute with its bound parameters, so
 * what an approver approves is exactly what runs, once.
 */
const fx = new Fixture(`w_reviews_ext_${process.pid}`);
const publicUrl = 'https://warden.example.test';
const rules = [
  { id: 'queue-deletes', match: { kinds: ['DeleteStmt'], connections: ['queue'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'queue' } },
  { id: 'hold-deletes', match: { kinds: ['DeleteStmt'], connections: ['hold'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'hold' } },
  { id: 'allow-other', match: {}, effect: 'allow' },
];

let t: TestGateway;
const suite = reviewSuite({
  fx,
  start: async () => (t = await startTestGateway({ rules, config: { reviews: { publicUrl } } })),
  connections: ['queue', 'hold'],
  users: { alice: [], dan: ['dbas'] },
});
const { tok } = suite;

/** alice's client on `connection`. */
const client = (connection: string) => suite.client('alice', connection);

const reviewIn = (message: string) => /review (R-\d+)/.exec(message)![1]!;

describe('reviews of extended-protocol statements', () => {
  it('queue: approving `… where id = $1` asked with [1] does not let it run with [3]', async () => {
    const alice = await client('queue');
    const text = `delete from ${fx.table} where id = $1`;
    const id = reviewIn((await new Pending(alice.client.query(text, [1])).error()).message);
    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    const other = await new Pending(alice.client.query(text, [3])).outcome;
    expect(other.ok, 'the statement ran with parameters nobody approved').toBe(false);
    expect(await fx.ids()).toContain(3);
  });

  it('queue: one approval (maxRuns 1) of a named prepared statement runs it once, not on every later Execute', async () => {
    const alice = await client('queue');
    const q = (values: number[]) => ({ name: 'purge', text: `delete from ${fx.table} where id >= $1`, values });
    const id = reviewIn((await new Pending(alice.client.query(q([3]))).error()).message);
    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    expect((await alice.client.query(q([3]))).rowCount).toBe(1);
    expect((await showReview(t, tok.alice!, id)).body).toMatchObject({ status: 'executed', runs: 1 });
    // The driver reuses the prepared statement: Bind/Execute only, no new Parse.
    const second = await new Pending(alice.client.query(q([1]))).outcome;
    expect(second.ok, 'a second Execute of the approved statement ran without review').toBe(false);
    expect(await fx.ids()).toEqual([1, 2]);
  });

  it('hold: the approver can see the parameter values of the held statement', async () => {
    const alice = await client('hold');
    const pending = new Pending(alice.client.query(`delete from ${fx.table} where id = $1`, [424242]));
    const id = await alice.heldReview();
    const shown = (await showReview(t, tok.dan!, id)).body;
    expect(JSON.stringify(shown), 'the approver is asked to approve `id = $1` without its value').toContain('424242');
    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    await pending.outcome;
  });
});

describe('the hold notice', () => {
  it('links to the review under reviews.publicUrl', async () => {
    const alice = await client('hold');
    const pending = alice.start(`delete from ${fx.table} where id = 1`);
    const id = await alice.heldReview();
    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    expect((await pending.result()).rowCount).toBe(1);
    // The same link notifications carry (gateway.ts links().view), not "<publicUrl> R-n".
    expect(alice.lastHoldNotice).toContain(`${publicUrl}/reviews/${id}`);
  });
});
