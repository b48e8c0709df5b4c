import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sessionCookie } from '../../src/api/web/session.ts';
import { hiddenValue, Browser } from '../identity/web-browser.ts';
import { startWebGateway, type WebGateway } from '../identity/web-gateway.ts';
import { freePort } from '../helpers/ports.ts';
import { Fixture, GatewayClient, pause, settleMs, until } from './support.ts';

/**
 * Issue 4: an approver follows the link from a real notification (the signed
 * webhook's JSON, received by a test HTTP server), signs in at the real IdP,
 * and approves on the review page; the statement held on a real pg session
 * through the gateway then runs. Same rules as the API: the requester cannot
 * approve their own, two approvals are needed, a form without the session's
 * CSRF value decides nothing, denying needs a reason.
 */
const fx = new Fixture(`web_decision_${process.pid}`);
let t: WebGateway;
let hook: Server;
const notices: { type: string; review: { id: string; text: string }; links: { view: string; approve: string; deny: string; api?: { approve: string } } }[] = [];
const clients: GatewayClient[] = [];
let bobToken: string;

beforeAll(async () => {
  await fx.create();
  const hookPort = await freePort();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      notices.push(JSON.parse(body) as (typeof notices)[number]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(hookPort, '127.0.0.1', resolve));
  t = await startWebGateway({
    rules: [{ id: 'writes-reviewed', effect: 'review', match: { classes: ['write'] }, approvers: ['approvers'], review: { mode: 'hold', approvals: 2 } }],
    config: { reviews: { notifications: { webhooks: [{ url: `http://127.0.0.1:${hookPort}/hook` }] } } },
  });
  await t.connection('pgmain');
  t.idp.accounts.set('rita', { groups: [] });
  t.idp.accounts.set('alice', { groups: ['approvers'] });
  bobToken = await t.user('bob', ['approvers']);
}, 60_000);
afterAll(async () => {
  for (const c of clients) await c.end();
  await t?.stop();
  await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
  await fx.drop();
});
beforeEach(() => fx.reset());

/** Rita signs in through the browser and holds `sql` on a pg session with the session's token. */
async function held(sql: string) {
  const rita = new Browser(t.idp.issuer, 'rita');
  await rita.open(`${t.apiUrl}/auth/oidc/login`);
  const client = await new GatewayClient(t.pgPort, 'rita', decodeURIComponent(rita.jar.get(sessionCookie)!), 'pgmain').connect();
  clients.push(client);
  const pending = client.start(sql);
  const id = await client.heldReview();
  const notice = await until('the webhook notification', async () => notices.find((n) => n.type === 'review_requested' && n.review.id === id));
  return { rita, pending, id, notice };
}

const post = (b: Browser, url: string, form: Record<string, string>) =>
  b.request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });

describe('deciding a review from the notification link', () => {
  it('signs the approver in, refuses self-approval and forms without CSRF, and releases the statement after two approvals', async () => {
    const { rita, pending, id, notice } = await held(`delete from ${fx.table} where id = 1`);
    expect(notice.links.view).toBe(`${t.apiUrl}/reviews/${id}`);
    expect(notice.links.approve).toBe(`${t.apiUrl}/reviews/${id}#approve`);
    expect(notice.links.api?.approve).toBe(`${t.apiUrl}/api/v1/reviews/${id}/approve`);
    const action = `${t.apiUrl}/reviews/${id}/decision`;

    // The requester, signed in, sees the page but cannot approve their own review.
    const own = await rita.open(notice.links.view);
    expect(own.status).toBe(200);
    const ownRefused = await post(rita, action, { csrf: hiddenValue(own.html, 'csrf')!, decision: 'approve' });
    expect(ownRefused.status).toBe(403);
    expect(await ownRefused.text()).toMatch(/someone else must decide it/);

    // The approver has no session: the link goes through the IdP and lands back on the page.
    const alice = new Browser(t.idp.issuer, 'alice');
    const page = await alice.open(notice.links.approve);
    expect(page.url).toBe(`${t.apiUrl}/reviews/${id}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('rita');
    expect(page.html).toContain('pgmain');
    expect(page.html).toContain(`delete from ${fx.table} where id =`);
    expect(page.html).toMatch(/2 from approvers/);
    expect(page.html).not.toMatch(/<script/i);
    const csrf = hiddenValue(page.html, 'csrf')!;
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // No CSRF value, or another one: refused, nothing decided.
    expect((await post(alice, action, { decision: 'approve' })).status).toBe(403);
    expect((await post(alice, action, { decision: 'approve', csrf: 'A'.repeat(43) })).status).toBe(403);
    expect((await t.gw.core.reviews.get(id)).decisions).toEqual([]);

    // With it: the first of two approvals; the page shows it and the statement is still held.
    const approved = await post(alice, action, { decision: 'approve', csrf });
    expect(approved.status).toBe(303);
    expect(approved.headers.get('location')).toBe(`/reviews/${id}`);
    const after = await alice.open(`${t.apiUrl}/reviews/${id}`);
    expect(after.html).toMatch(/approve by alice/);
    expect(after.html).toContain('pending');
    await pause(settleMs);
    expect(pending.settled).toBe(false);

    // The second approver is a machine-style caller on the API link the notification also carries.
    const second = await fetch(notice.links.api!.approve, { method: 'POST', headers: { authorization: `Bearer ${bobToken}`, 'content-type': 'application/json' }, body: '{}' });
    expect(second.status).toBe(200);
    expect((await pending.result()).rowCount).toBe(1);
    expect(await fx.ids()).toEqual([2, 3]);
    const done = await alice.open(`${t.apiUrl}/reviews/${id}`);
    expect(done.html).toContain('approved');
    expect(done.html).not.toContain('name="decision"');
  });

  it('denies with a reason, and the held statement fails', async () => {
    const { pending, notice } = await held(`delete from ${fx.table} where id = 2`);
    const alice = new Browser(t.idp.issuer, 'alice');
    const page = await alice.open(notice.links.deny);
    const csrf = hiddenValue(page.html, 'csrf')!;
    const action = `${t.apiUrl}/reviews/${notice.review.id}/decision`;
    expect((await post(alice, action, { decision: 'deny', csrf })).status).toBe(400);
    expect((await post(alice, action, { decision: 'deny', csrf, reason: 'not during the freeze' })).status).toBe(303);
    expect((await pending.error()).message).toMatch(/denied/);
    expect(await fx.ids()).toEqual([1, 2, 3]);
  });

  it('sends a browser without a session to sign in, and a form post without one back to the page', async () => {
    const { id } = await held(`delete from ${fx.table} where id = 3`);
    const res = await fetch(`${t.apiUrl}/reviews/${id}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/auth/oidc/login?next=${encodeURIComponent(`/reviews/${id}`)}`);
    const posted = await fetch(`${t.apiUrl}/reviews/${id}/decision`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe(`/reviews/${id}`);
    expect((await t.gw.core.reviews.get(id)).decisions).toEqual([]);
  });
});
