import { describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { approve, Fixture, showReview, reviewSuite } from './support.ts';

/**
 * Justifications through the real gateway: a rule with
 * `requireJustification` refuses a DELETE without one at once, saying how to
 * add it; with a leading `/* justification: … *\/` comment the statement is
 * held (or queued), the reason is on the review, and it runs once approved.
 */
const fx = new Fixture(`w_reviews_justify_${process.pid}`);
const rules = [
  { id: 'why-hold', match: { kinds: ['DeleteStmt'], connections: ['jh'] }, effect: 'review', approvers: ['dbas'], review: { requireJustification: true } },
  { id: 'why-queue', match: { kinds: ['DeleteStmt'], connections: ['jq'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'queue', requireJustification: true } },
  { id: 'allow-other', match: {}, effect: 'allow' },
];

let t: TestGateway;
const suite = reviewSuite({
  fx,
  start: async () => (t = await startTestGateway({ rules })),
  connections: ['jh', 'jq'],
  users: { alice: [], dan: ['dbas'] },
});
const { tok } = suite;

/** alice's client on `connection`. */
const client = (connection: string) => suite.client('alice', connection);

describe('justification of reviewed statements', () => {
  it('without one the statement is refused at once with how to add it, and no review is opened', async () => {
    const alice = await client('jh');
    const before = (await t.gw.core.reviews.list({ requester: 'alice' })).length;
    for (const text of [`delete from ${fx.table} where id = 1`, `/* just because */ delete from ${fx.table} where id = 1`, `delete from ${fx.table} where id = 1 /* justification: too late */`]) {
      const err = await alice.start(text).error();
      expect(err.code).toBe('42501');
      expect(err.message).toContain('needs a written justification: start the statement with a comment giving the reason, e.g. /* justification: INC-123 rotate keys */ DELETE');
    }
    expect(alice.notices).toEqual([]);
    expect(await t.gw.core.reviews.list({ requester: 'alice' })).toHaveLength(before);
    expect(await fx.ids()).toEqual([1, 2, 3]);
  });

  it('hold: with a leading comment it is held, the reason is on the review, and it runs once approved', async () => {
    const alice = await client('jh');
    const held = alice.start(`/* justification: INC-123 rotate keys */ delete from ${fx.table} where id = 1`);
    const id = await alice.heldReview();
    const shown = (await showReview(t, tok.dan!, id)).body;
    expect(shown).toMatchObject({ status: 'pending', justification: 'INC-123 rotate keys', text: `delete from ${fx.table} where id = 1` });
    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    expect((await held.result()).rowCount).toBe(1);
    expect(await fx.ids()).toEqual([2, 3]);
  });

  it('extended protocol: the comment in the prepared text counts, with the bound values approved', async () => {
    const alice = await client('jh');
    const held = alice.client.query({ text: `-- justification: INC-7 bad row\ndelete from ${fx.table} where id = $1`, values: [3] });
    const id = await alice.heldReview();
    expect((await showReview(t, tok.dan!, id)).body).toMatchObject({ justification: 'INC-7 bad row', text: `delete from ${fx.table} where id = '3'` });
    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    expect((await held).rowCount).toBe(1);
    expect(await fx.ids()).toEqual([1, 2]);
  });

  it('queue: the reason goes with the request; the approved statement re-runs with or without the comment', async () => {
    const alice = await client('jq');
    const err = await alice.start(`/* justification: INC-9 cleanup */ delete from ${fx.table} where id = 2`).error();
    const id = /review (R-\d+) is open/.exec(err.message)![1]!;
    expect((await showReview(t, tok.dan!, id)).body).toMatchObject({ justification: 'INC-9 cleanup' });
    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    expect((await alice.client.query(`delete from ${fx.table} where id = 2`)).rowCount).toBe(1);
    expect(await fx.ids()).toEqual([1, 3]);
  });
});
