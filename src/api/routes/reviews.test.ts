import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../core/ids.ts';
import type { Actor } from '../../core/review/service-types.ts';
import type { ReviewPolicy } from '../../core/review/types.ts';
import { buildApi } from '../server.ts';
import { createTestCore, type TestCore } from '../testing.ts';

// The review endpoints over the real review service and a real SQLite store.
let t: TestCore;
let app: FastifyInstance;
const tok: Record<string, string> = {};

const call = (who: string | undefined, opts: InjectOptions) =>
  app.inject({ ...opts, headers: { ...opts.headers, ...(who === undefined ? {} : { authorization: `Bearer ${tok[who]}` }) } });

const alice: Actor = { name: 'alice', groups: ['dev'], role: 'user' };
const policy = (over: Partial<ReviewPolicy> = {}): ReviewPolicy => ({
  mode: 'queue',
  approverGroups: ['dba'],
  approvals: 1,
  eachGroup: false,
  timeoutMs: 600_000,
  approvalWindowMs: 3_600_000,
  maxRuns: 1,
  requireJustification: false,
  ...over,
});
const held = (text: string, over: Partial<ReviewPolicy> = {}) =>
  t.core.reviews.requestCommand({ requester: alice, connection: 'prod', text, rules: ['review-writes'], policy: policy(over) });

beforeAll(async () => {
  t = await createTestCore();
  app = await buildApi(t.core);
  const people: [string, 'admin' | 'auditor' | 'user', string[]][] = [
    ['root', 'admin', []],
    ['audrey', 'auditor', []],
    ['alice', 'user', ['dev']],
    ['bob', 'user', ['dba']],
    ['dave', 'user', ['dba']],
    ['carol', 'user', ['dev']],
    ['olga', 'user', ['oncall']],
  ];
  for (const [name, role, groups] of people) tok[name] = await t.userWithToken(name, role, groups);
  await t.core.connections.create({
    id: newId('con'), name: 'prod', type: 'postgres', host: 'db', port: 5432, database: 'app', username: 'app',
    sealedSecret: null, tls: 'disable', tags: ['prod'], agent: null, createdAt: new Date(),
  });
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

describe('command reviews', () => {
  it('refuses self-approval and non-approvers with 403, lets an approver approve', async () => {
    const r = await held('DELETE FROM orders WHERE id = 7');
    await t.reviews.flush();

    const own = await call('alice', { method: 'POST', url: `/api/v1/reviews/${r.id}/approve`, payload: {} });
    expect(own.statusCode).toBe(403);
    expect(own.json()).toMatchObject({ error: 'access_denied', message: expect.stringMatching(/separation of duties/) });
    const stranger = await call('carol', { method: 'POST', url: `/api/v1/reviews/${r.id}/approve`, payload: {} });
    expect(stranger.statusCode).toBe(403);
    expect(stranger.json().message).toMatch(/not an approver of R-\d+; approvers are members of dba/);
    expect((await t.core.reviews.get(r.id)).status).toBe('pending');

    const ok = await call('bob', { method: 'POST', url: `/api/v1/reviews/${r.id}/approve`, payload: { reason: 'looks right' } });
    expect(ok.statusCode).toBe(200);
    const body = ok.json();
    expect(body).toMatchObject({
      id: r.id, kind: 'command', mode: 'queue', status: 'approved', requester: 'alice', connection: 'prod',
      text: 'DELETE FROM orders WHERE id = 7', rules: ['review-writes'], approverGroups: ['dba'], runs: 0, maxRuns: 1, notifyErrors: [],
      decisions: [{ by: 'bob', groups: ['dba'], decision: 'approve', reason: 'looks right' }],
    });
    expect(body.validUntil).not.toBeNull();
    expect(body.decisionLatencyMs).toBe(Date.parse(body.decidedAt) - Date.parse(body.notifiedAt));

    const again = await call('dave', { method: 'POST', url: `/api/v1/reviews/${r.id}/approve` });
    expect(again.statusCode).toBe(400);
    expect(again.json().message).toMatch(/already approved/);
  });

  it('needs a reason to deny, answers 404 for unknown ids, and records the denial', async () => {
    const r = await held('UPDATE accounts SET balance = 0');
    for (const payload of [{}, { reason: '   ' }]) {
      const res = await call('bob', { method: 'POST', url: `/api/v1/reviews/${r.id}/deny`, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/body\.reason/);
    }
    expect((await call('bob', { method: 'GET', url: '/api/v1/reviews/R-99999' })).statusCode).toBe(404);
    const unknown = await call('bob', { method: 'POST', url: '/api/v1/reviews/R-99999/approve', payload: {} });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toBe('not_found');

    const denied = await call('bob', { method: 'POST', url: `/api/v1/reviews/${r.id}/deny`, payload: { reason: 'not without a WHERE' } });
    expect(denied.statusCode).toBe(200);
    expect(denied.json()).toMatchObject({ status: 'denied', decisions: [{ by: 'bob', decision: 'deny', reason: 'not without a WHERE' }], validUntil: null });
    expect(denied.json().decidedAt).not.toBeNull();
  });

  it('keeps a review pending until the required approvals are in', async () => {
    const r = await held('DROP TABLE audit_old', { approvals: 2 });
    const first = await call('bob', { method: 'POST', url: `/api/v1/reviews/${r.id}/approve`, payload: {} });
    expect(first.json()).toMatchObject({ status: 'pending', approvalsRequired: 2, decidedAt: null, decisionLatencyMs: null });
    const second = await call('dave', { method: 'POST', url: `/api/v1/reviews/${r.id}/approve`, payload: {} });
    expect(second.json()).toMatchObject({ status: 'approved', decisions: [{ by: 'bob' }, { by: 'dave' }] });
  });

  it('lets only break-glass force-approve, always with a reason', async () => {
    const r = await held('TRUNCATE sessions');
    const notBreakGlass = await call('bob', { method: 'POST', url: `/api/v1/reviews/${r.id}/force-approve`, payload: { reason: 'urgent' } });
    expect(notBreakGlass.statusCode).toBe(403);
    expect(notBreakGlass.json().message).toMatch(/break-glass group \(oncall\)/);
    expect((await call('olga', { method: 'POST', url: `/api/v1/reviews/${r.id}/force-approve`, payload: {} })).statusCode).toBe(400);
    const forced = await call('olga', { method: 'POST', url: `/api/v1/reviews/${r.id}/force-approve`, payload: { reason: 'INC-9 outage' } });
    expect(forced.statusCode).toBe(200);
    expect(forced.json()).toMatchObject({ status: 'approved', decisions: [{ by: 'olga', decision: 'force-approve', reason: 'INC-9 outage' }] });
  });
});

describe('inbox and visibility', () => {
  it('shows each caller what they may decide, and lists what they may see', async () => {
    const r = await held('DELETE FROM carts');
    const inbox = async (who: string) => ((await call(who, { method: 'GET', url: '/api/v1/reviews/inbox' })).json() as { id: string }[]).map((x) => x.id);
    expect(await inbox('bob')).toEqual([r.id]);
    expect(await inbox('olga')).toEqual([r.id]); // break-glass sees every pending review
    expect(await inbox('alice')).toEqual([]); // never your own
    expect(await inbox('carol')).toEqual([]);
    expect(await inbox('root')).toEqual([]); // the admin role alone makes nobody an approver

    const ids = async (who: string, qs = '') => ((await call(who, { method: 'GET', url: `/api/v1/reviews${qs}` })).json() as { id: string }[]).map((x) => x.id);
    const all = await ids('root');
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(await ids('audrey')).toEqual(all);
    expect(await ids('alice')).toEqual(all); // alice asked for every one of them
    expect(await ids('carol')).toEqual([]);
    expect(await ids('bob', '?status=pending')).toEqual([r.id]);
    expect(await ids('root', '?mine=true')).toEqual([]);
    expect((await call('root', { method: 'GET', url: '/api/v1/reviews?status=maybe' })).statusCode).toBe(400);
    expect((await call(undefined, { method: 'GET', url: '/api/v1/reviews' })).statusCode).toBe(401);

    expect((await call('bob', { method: 'GET', url: `/api/v1/reviews/${r.id}` })).statusCode).toBe(200);
    expect((await call('audrey', { method: 'GET', url: `/api/v1/reviews/${r.id}` })).statusCode).toBe(200);
    const hidden = await call('carol', { method: 'GET', url: `/api/v1/reviews/${r.id}` });
    expect(hidden.statusCode).toBe(403);
    expect(hidden.json().message).toMatch(/not yours to see/);
    await call('bob', { method: 'POST', url: `/api/v1/reviews/${r.id}/deny`, payload: { reason: 'no' } });
  });
});

describe('access requests', () => {
  it('creates an access review that an approver turns into a time-boxed grant', async () => {
    const res = await call('alice', { method: 'POST', url: '/api/v1/access-requests', payload: { connection: 'prod', for: '2h', reason: 'INC-123 stuck orders' } });
    expect(res.statusCode).toBe(201);
    const r = res.json();
    expect(r).toMatchObject({ kind: 'access', status: 'pending', requester: 'alice', connection: 'prod', text: null, accessForMs: 7_200_000, justification: 'INC-123 stuck orders', approverGroups: ['dba'] });
    expect(await t.core.reviews.activeGrant('alice', 'prod')).toBeUndefined();

    const approved = (await call('bob', { method: 'POST', url: `/api/v1/reviews/${r.id}/approve`, payload: {} })).json();
    expect(approved.status).toBe('approved');
    expect(Date.parse(approved.validUntil) - Date.parse(approved.decidedAt)).toBe(7_200_000);
    expect((await t.core.reviews.activeGrant('alice', 'prod'))?.id).toBe(r.id);

    const inMs = await call('carol', { method: 'POST', url: '/api/v1/access-requests', payload: { connection: 'prod', for: 90_000, reason: 'read logs' } });
    expect(inMs.json()).toMatchObject({ accessForMs: 90_000, requester: 'carol' });
  });

  it('passes closeSessionsOnExpiry through to the grant', async () => {
    const res = await call('alice', { method: 'POST', url: '/api/v1/access-requests', payload: { connection: 'prod', for: '1h', reason: 'INC-9', closeSessionsOnExpiry: true } });
    expect(res.statusCode).toBe(201);
    expect((await t.core.reviews.get(res.json().id)).policy.closeSessionsOnExpiry).toBe(true);
    const plain = await call('alice', { method: 'POST', url: '/api/v1/access-requests', payload: { connection: 'prod', for: '1h', reason: 'INC-10' } });
    expect((await t.core.reviews.get(plain.json().id)).policy.closeSessionsOnExpiry).not.toBe(true);
  });

  it('rejects unknown connections, bad durations and missing reasons', async () => {
    const post = (payload: object) => call('alice', { method: 'POST', url: '/api/v1/access-requests', payload });
    const missing = await post({ connection: 'nope', for: '1h', reason: 'x' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toMatch(/no connection named nope/);
    for (const bad of [{ connection: 'prod', for: 'soon', reason: 'x' }, { connection: 'prod', for: 0, reason: 'x' }, { connection: 'prod', for: '0h', reason: 'x' }, { connection: 'prod', for: '1h' }]) {
      expect((await post(bad)).statusCode).toBe(400);
    }
  });
});

it('documents the review endpoints in OpenAPI', async () => {
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining(['/api/v1/reviews', '/api/v1/reviews/inbox', '/api/v1/reviews/{id}', '/api/v1/reviews/{id}/approve', '/api/v1/reviews/{id}/deny', '/api/v1/reviews/{id}/force-approve', '/api/v1/access-requests']),
  );
});
