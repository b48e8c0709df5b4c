import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventView } from './routes/audit.ts';
import { buildApi } from './server.ts';
import { createTestCore, type TestCore } from './testing.ts';

// What the API records in the audit log for changes to Warden, over a real SQLite store.
let t: TestCore;
let app: FastifyInstance;
const tok: Record<string, string> = {};
const call = (who: string, opts: InjectOptions) => app.inject({ ...opts, headers: { ...opts.headers, authorization: `Bearer ${tok[who]}` } });
const audit = async (query: string) => {
  const res = await call('audrey', { url: `/api/v1/audit?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as AuditEventView[];
};

beforeAll(async () => {
  t = await createTestCore();
  app = await buildApi(t.core);
  tok.root = await t.userWithToken('root', 'admin');
  tok.audrey = await t.userWithToken('audrey', 'auditor');
  tok.alice = await t.userWithToken('alice', 'user', ['dev']);
  tok.bob = await t.userWithToken('bob', 'user', ['dba']);
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

describe('audit events from the API', () => {
  it('records connection changes and policy applied, with who did it', async () => {
    const created = await call('root', { method: 'POST', url: '/api/v1/connections', payload: { name: 'prod', type: 'postgres', host: '127.0.0.1', port: 5432, database: 'test', username: 'postgres' } });
    expect(created.statusCode, created.body).toBe(201);
    expect((await call('root', { method: 'DELETE', url: '/api/v1/connections/prod' })).statusCode).toBe(204);
    const applied = await call('root', { method: 'PUT', url: '/api/v1/policy', payload: { yaml: 'rules:\n  - id: allow-all\n    effect: allow\n    match: {}\n' } });
    expect(applied.statusCode, applied.body).toBe(200);

    const connections = await audit('type=connection');
    expect(connections.map((e) => [e.type, e.outcome, e.actor, e.subject])).toEqual([
      ['connection.deleted', 'success', 'root', 'prod'],
      ['connection.created', 'success', 'root', 'prod'],
    ]);
    expect(await audit('type=policy.applied&actor=root')).toHaveLength(1);
  });

  it('records a decided review and a refused attempt to change a user', async () => {
    const r = await t.core.reviews.requestCommand({
      requester: { name: 'alice', groups: ['dev'], role: 'user' },
      connection: 'prod',
      text: 'DELETE FROM orders',
      rules: ['review-writes'],
      policy: { mode: 'queue', approverGroups: ['dba'], approvals: 1, eachGroup: false, timeoutMs: 600_000, approvalWindowMs: 600_000, maxRuns: 1, requireJustification: false },
    });
    expect((await call('bob', { method: 'POST', url: `/api/v1/reviews/${r.id}/approve`, payload: {} })).statusCode).toBe(200);
    expect((await call('alice', { method: 'PATCH', url: '/api/v1/users/alice', payload: { role: 'admin' } })).statusCode).toBe(403);

    expect(await audit('type=review')).toEqual([expect.objectContaining({ type: 'review.decided', outcome: 'success', actor: 'bob', subject: r.id })]);
    expect(await audit('type=user.updated')).toEqual([expect.objectContaining({ outcome: 'failure', actor: 'alice', subject: 'alice', detail: { route: 'PATCH /api/v1/users/:name', status: 403 } })]);
  });

  it('filters by time and limit, newest first, and refuses unknown types', async () => {
    const all = await audit('limit=1000');
    expect(all.length).toBeGreaterThanOrEqual(5);
    const times = all.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(await audit('limit=2')).toEqual(all.slice(0, 2));
    expect(await audit(`until=${encodeURIComponent(all.at(-1)!.at)}`)).toEqual([]);
    expect((await call('audrey', { url: '/api/v1/audit?type=nonsense' })).statusCode).toBe(400);
    expect((await call('audrey', { url: '/api/v1/audit?limit=0' })).statusCode).toBe(400);
  });
});
