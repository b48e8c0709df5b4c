import { describe, expect, it } from 'vitest';
import { endedSession, gatewayUrl, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { psql } from '../helpers/psql.ts';
import { api, approve, deny, Fixture, pause, sendCancel, settleMs, showReview, until, reviewSuite } from './support.ts';

/**
 * Hold mode through the real gateway: a DELETE that policy sends to review
 * waits in the gateway (the client gets a NoticeResponse naming the review)
 * until an approver decides through the REST API. Each review setting gets
 * its own connection name (all to the machine's PostgreSQL), so one gateway
 * serves every case.
 */
const fx = new Fixture(`w_reviews_hold_${process.pid}`);
const deletes = (connection: string, id: string, review: Record<string, unknown>) => ({
  id,
  match: { kinds: ['DeleteStmt'], connections: [connection] },
  effect: 'review',
  approvers: ['dbas'],
  review: { mode: 'hold', ...review },
});
const rules = [
  deletes('hold', 'review-deletes', {}),
  deletes('two', 'review-deletes-twice', { approvals: 2 }),
  // The smallest practical timeout: 0.01 min = 600 ms (the schema takes any positive number).
  deletes('brief', 'review-deletes-briefly', { timeoutMinutes: 0.01 }),
  { id: 'allow-other', match: {}, effect: 'allow' },
];

let t: TestGateway;
const suite = reviewSuite({
  fx,
  start: async () => (t = await startTestGateway({ rules, config: { reviews: { breakGlassGroups: ['oncall'] } } })),
  connections: ['hold', 'two', 'brief'],
  users: {
    // alice is in dbas herself: only separation of duties keeps her from approving her own.
    alice: ['dbas'],
    dan: ['dbas'],
    erin: ['dbas'],
    mallory: ['devs'],
    bob: [],
    olga: ['oncall'],
  },
});
const { tok } = suite;

const client = suite.client;

describe('hold mode', () => {
  it('holds a DELETE with a notice naming the review; API approval runs it; the recording names the rule and the review', async () => {
    const alice = await client('alice', 'hold');
    const held = alice.start(`delete from ${fx.table} where id <= 2`);
    const id = await alice.heldReview();
    expect((await showReview(t, tok.alice!, id)).body).toMatchObject({ id, status: 'pending', mode: 'hold', requester: 'alice', connection: 'hold', rules: ['review-deletes'], approverGroups: ['dbas'] });
    expect((await api(t, tok.dan!, 'GET', '/api/v1/reviews/inbox')).body).toEqual(expect.arrayContaining([expect.objectContaining({ id, status: 'pending' })]));
    await pause(settleMs);
    expect(held.settled).toBe(false);
    expect(await fx.ids()).toEqual([1, 2, 3]);

    const decided = await approve(t, tok.dan!, id, 'looks fine');
    expect(decided).toMatchObject({ status: 200, body: { status: 'approved' } });
    const result = await held.result();
    expect(result.command).toBe('DELETE');
    expect(result.rowCount).toBe(2);
    expect(await fx.ids()).toEqual([3]);

    await alice.client.query('select 1');
    await alice.end();
    const { events } = await endedSession(t, 'alice', 'hold');
    const stmt = events.find((e) => e.type === 'statement' && e.text.startsWith('delete'));
    expect(stmt).toMatchObject({ commandTag: 'DELETE 2', verdict: { effect: 'allow' } });
    expect((stmt as { verdict: { rules: string[] } }).verdict.rules).toEqual(expect.arrayContaining(['review-deletes', `review:${id}`]));
  });

  it('denied: 42501 naming the denier and the reason; the table is unchanged and the session carries on', async () => {
    const alice = await client('alice', 'hold');
    const held = alice.start(`delete from ${fx.table}`);
    const id = await alice.heldReview();
    expect(await deny(t, tok.dan!, id, 'not during business hours')).toMatchObject({ status: 200, body: { status: 'denied' } });
    const err = await held.error();
    expect(err.code).toBe('42501');
    expect(err.message).toContain(`review ${id} was denied by dan: not during business hours`);
    expect(await fx.ids()).toEqual([1, 2, 3]);
    expect((await alice.client.query(`select count(*)::int as n from ${fx.table}`)).rows).toEqual([{ n: 3 }]);
    // A decided review cannot be decided again.
    expect(await approve(t, tok.erin!, id)).toMatchObject({ status: 400, body: { message: expect.stringContaining('already denied') } });
  });

  it('times out: an error saying so, the table unchanged, and a late approval is refused', async () => {
    const alice = await client('alice', 'brief');
    const held = alice.start(`delete from ${fx.table}`);
    const id = await alice.heldReview();
    const err = await held.error();
    expect(err.code).toBe('42501');
    expect(err.message).toMatch(new RegExp(`review ${id} timed out`));
    expect(await fx.ids()).toEqual([1, 2, 3]);
    expect((await showReview(t, tok.alice!, id)).body.status).toBe('expired');
    expect(await approve(t, tok.dan!, id)).toMatchObject({ status: 400, body: { message: expect.stringContaining('expired') } });
    expect(await fx.ids()).toEqual([1, 2, 3]);
  });

  it('refuses self-approval and non-approvers with 403; the statement stays held until a real approver decides', async () => {
    const alice = await client('alice', 'hold');
    const held = alice.start(`delete from ${fx.table} where id = 1`);
    const id = await alice.heldReview();
    const self = await approve(t, tok.alice!, id);
    expect(self.status).toBe(403);
    expect(self.body.message).toMatch(/separation of duties/);
    const outsider = await approve(t, tok.mallory!, id);
    expect(outsider.status).toBe(403);
    expect(outsider.body.message).toMatch(/not an approver/);
    expect((await deny(t, tok.mallory!, id, 'me neither')).status).toBe(403);
    await pause(settleMs);
    expect(held.settled).toBe(false);
    expect((await showReview(t, tok.alice!, id)).body).toMatchObject({ status: 'pending', decisions: [] });
    expect(await fx.ids()).toEqual([1, 2, 3]);

    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    expect((await held.result()).rowCount).toBe(1);
    expect(await fx.ids()).toEqual([2, 3]);
  });

  it('two approvals required: one is not enough, the same approver twice is refused, a second approver releases it', async () => {
    const alice = await client('alice', 'two');
    const held = alice.start(`delete from ${fx.table} where id = 3`);
    const id = await alice.heldReview();
    expect(await approve(t, tok.dan!, id)).toMatchObject({ status: 200, body: { status: 'pending', approvalsRequired: 2 } });
    await pause(settleMs);
    expect(held.settled).toBe(false);
    expect(await fx.ids()).toEqual([1, 2, 3]);
    expect(await approve(t, tok.dan!, id)).toMatchObject({ status: 400, body: { message: expect.stringContaining('already decided') } });
    await pause(settleMs);
    expect(held.settled).toBe(false);

    expect(await approve(t, tok.erin!, id)).toMatchObject({ status: 200, body: { status: 'approved' } });
    const result = await held.result();
    expect(result.command).toBe('DELETE');
    expect(result.rowCount).toBe(1);
    expect(await fx.ids()).toEqual([1, 2]);
  });

  it('client cancel while held: 57014, the review is cancelled, the table unchanged; other sessions work during the hold', async () => {
    const alice = await client('alice', 'hold');
    const held = alice.start(`delete from ${fx.table}`);
    const id = await alice.heldReview();

    // While alice waits: her own second session, another user, and the API all carry on.
    const alice2 = await client('alice', 'hold');
    expect((await alice2.client.query(`select count(*)::int as n from ${fx.table}`)).rows).toEqual([{ n: 3 }]);
    const bob = await client('bob', 'two');
    expect((await bob.client.query(`insert into ${fx.table} values (4, 'd')`)).rowCount).toBe(1);
    expect((await showReview(t, tok.dan!, id)).body.status).toBe('pending');
    expect(held.settled).toBe(false);

    // A wrong key cancels nothing.
    await sendCancel(t.pgPort, { ...alice.keys, secretKey: alice.keys.secretKey ^ 1 });
    await pause(settleMs);
    expect(held.settled).toBe(false);

    await sendCancel(t.pgPort, alice.keys);
    const err = await held.error();
    expect(err.code).toBe('57014');
    expect(err.message).toContain(id);
    expect((await showReview(t, tok.alice!, id)).body.status).toBe('cancelled');
    expect(await fx.ids()).toEqual([1, 2, 3, 4]);
    expect((await alice.client.query('select 1 as still')).rows).toEqual([{ still: 1 }]);
    expect(await approve(t, tok.dan!, id)).toMatchObject({ status: 400 });
    expect(await fx.ids()).toEqual([1, 2, 3, 4]);
  });

  it('psql: the notice reaches the terminal and the statement runs once approved from the inbox', async () => {
    const run = psql([gatewayUrl(t, 'alice', tok.alice!, 'hold'), '-v', 'ON_ERROR_STOP=1', '-c', `delete from ${fx.table} where id = 2`]);
    const pending = await until('the psql review in the inbox', async () => {
      const inbox = (await api(t, tok.dan!, 'GET', '/api/v1/reviews/inbox')).body as unknown as { id: string; text: string }[];
      return inbox.find((r) => r.text.includes(`${fx.table} where id = 2`));
    });
    expect((await approve(t, tok.dan!, pending.id)).status).toBe(200);
    const out = await run;
    expect(out).toMatchObject({ code: 0 });
    expect(out.stdout).toContain('DELETE 1');
    expect(out.stderr).toContain(`NOTICE:  waiting for approval: review ${pending.id}`);
    expect(await fx.ids()).toEqual([1, 3]);
  });

  it('inside a transaction: an approved hold runs in it (and rolls back with it); a denied one fails the block', async () => {
    const alice = await client('alice', 'hold');
    await alice.client.query('begin');
    const held = alice.start(`delete from ${fx.table} where id = 1`);
    const id = await alice.heldReview();
    expect((await approve(t, tok.dan!, id)).status).toBe(200);
    expect((await held.result()).rowCount).toBe(1);
    expect((await alice.client.query(`select count(*)::int as n from ${fx.table}`)).rows).toEqual([{ n: 2 }]);
    await alice.client.query('rollback');
    expect(await fx.ids()).toEqual([1, 2, 3]);

    await alice.client.query('begin');
    const second = alice.start(`delete from ${fx.table} where id = 2`);
    const id2 = await alice.heldReview();
    expect((await deny(t, tok.dan!, id2, 'no')).status).toBe(200);
    expect(await second.error()).toMatchObject({ code: '42501' });
    expect(await alice.start('select 1').error()).toMatchObject({ code: '25P02' });
    expect((await alice.client.query('commit')).command).toBe('ROLLBACK');
    expect(await fx.ids()).toEqual([1, 2, 3]);
  });

  it('a held client that disconnects: its review is cancelled and nothing runs', async () => {
    const alice = await client('alice', 'hold');
    const liveAlice = () => t.gw.core.live.list().filter((s) => s.user === 'alice').length;
    const before = liveAlice();
    void alice.start(`delete from ${fx.table}`).outcome;
    const id = await alice.heldReview();
    (alice.client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await until('the session to end', async () => (liveAlice() < before ? true : undefined));
    // The statement went with its session: the review is cancelled, so no approver decides a hold nobody waits for.
    await until('the review to be cancelled', async () => ((await showReview(t, tok.dan!, id)).body.status === 'cancelled' ? true : undefined));
    expect((await approve(t, tok.dan!, id)).status).toBe(400);
    await pause(settleMs);
    expect(await fx.ids()).toEqual([1, 2, 3]);
  });

  it('break-glass: only the break-glass group may force-approve, and it releases the hold', async () => {
    const alice = await client('alice', 'two');
    const held = alice.start(`delete from ${fx.table} where id = 1`);
    const id = await alice.heldReview();
    expect((await api(t, tok.dan!, 'POST', `/api/v1/reviews/${id}/force-approve`, { reason: 'hurry' })).status).toBe(403);
    expect((await api(t, tok.olga!, 'POST', `/api/v1/reviews/${id}/approve`, {})).status).toBe(403);
    expect(held.settled).toBe(false);
    const forced = await api(t, tok.olga!, 'POST', `/api/v1/reviews/${id}/force-approve`, { reason: 'INC-7 outage' });
    expect(forced).toMatchObject({ status: 200, body: { status: 'approved', decisions: [expect.objectContaining({ by: 'olga', decision: 'force-approve', reason: 'INC-7 outage' })] } });
    expect((await held.result()).rowCount).toBe(1);
    expect(await fx.ids()).toEqual([2, 3]);
  });

  it('unknown review ids: 404 with a hint, nothing changes', async () => {
    const r = await approve(t, tok.dan!, 'R-999999');
    expect(r.status).toBe(404);
    expect(r.body.message).toMatch(/no review R-999999/);
  });
});
