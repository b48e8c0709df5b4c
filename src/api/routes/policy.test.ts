import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../core/ids.ts';
import { buildApi } from '../server.ts';
import { createTestCore, type TestCore } from '../testing.ts';

let t: TestCore;
let app: FastifyInstance;
let admin: string;
let auditor: string;
let plain: string;

const call = (token: string, opts: InjectOptions) => app.inject({ ...opts, headers: { ...opts.headers, authorization: `Bearer ${token}` } });

const rules = `rules:
  - id: no-deletes-on-prod
    match: { tags: [prod], kinds: [DeleteStmt] }
    effect: block
    message: no deletes on production
  - id: dba-writes
    match: { groups: [dba], classes: [write] }
    effect: allow
`;

beforeAll(async () => {
  t = await createTestCore();
  app = await buildApi(t.core);
  admin = await t.userWithToken('root', 'admin');
  auditor = await t.userWithToken('audrey', 'auditor');
  plain = await t.userWithToken('ursula', 'user');
  await t.core.users.create({ id: newId('usr'), name: 'alice', role: 'user', groups: ['dba'], createdAt: new Date() });
  await t.core.connections.create({
    id: newId('con'), name: 'prod-pg', type: 'postgres', host: 'db', port: 5432, database: 'app', username: 'app',
    sealedSecret: null, tls: 'disable', tags: ['prod'], agent: null, createdAt: new Date(),
  });
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

describe('policy API', () => {
  it('lets only admins apply rules; admins and auditors read them', async () => {
    for (const token of [auditor, plain]) {
      const res = await call(token, { method: 'PUT', url: '/api/v1/policy', payload: { yaml: rules } });
      expect(res.statusCode).toBe(403);
    }
    expect((await call(plain, { method: 'GET', url: '/api/v1/policy' })).statusCode).toBe(403);
    expect((await call(auditor, { method: 'GET', url: '/api/v1/policy' })).json()).toMatchObject({ stored: [], yaml: null, version: null });

    const applied = await call(admin, { method: 'PUT', url: '/api/v1/policy', payload: { yaml: rules } });
    expect(applied.statusCode).toBe(200);
    expect(applied.json()).toEqual({ rules: 2, version: 1 });
    const shown = (await call(auditor, { method: 'GET', url: '/api/v1/policy' })).json();
    expect(shown).toMatchObject({ yaml: rules, version: 1, updatedBy: 'root', problem: null });
    expect(shown.stored.map((r: { id: string }) => r.id)).toEqual(['no-deletes-on-prod', 'dba-writes']);
  });

  it('accepts the file as text/yaml and rejects a bad one with 400, its line and reason', async () => {
    const asYaml = await call(admin, { method: 'PUT', url: '/api/v1/policy', payload: rules, headers: { 'content-type': 'application/yaml' } });
    expect(asYaml.json()).toEqual({ rules: 2, version: 2 });
    const bad = await call(admin, { method: 'PUT', url: '/api/v1/policy', payload: `${rules}  - id: broken\n    effect: explode\n`, headers: { 'content-type': 'text/yaml' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'bad_request' });
    expect(bad.json().message).toMatch(/line 10 \(rule "broken"\): effect:/);
    expect((await call(admin, { method: 'GET', url: '/api/v1/policy' })).json().version).toBe(2);
  });

  it('dry-runs a statement with the user groups and connection tags from the store (auditors too)', async () => {
    const del = await call(auditor, { method: 'POST', url: '/api/v1/policy/test', payload: { user: 'alice', connection: 'prod-pg', sql: 'DELETE FROM t' } });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toMatchObject({
      effect: 'block',
      rules: [{ id: 'no-deletes-on-prod' }],
      message: expect.stringMatching(/no deletes on production/),
      statements: [{ class: 'write', kind: 'DeleteStmt', tables: ['t'], withoutWhere: true }],
      subject: { user: 'alice', groups: ['dba'], connection: 'prod-pg', tags: ['prod'] },
      notes: [],
    });
    // alice is in dba: her writes are allowed; an unknown user falls to the default (review).
    const ins = { connection: 'prod-pg', sql: 'INSERT INTO t VALUES (1)' };
    expect((await call(auditor, { method: 'POST', url: '/api/v1/policy/test', payload: { user: 'alice', ...ins } })).json()).toMatchObject({ effect: 'allow', rules: [{ id: 'dba-writes' }] });
    const stranger = (await call(admin, { method: 'POST', url: '/api/v1/policy/test', payload: { user: 'bob', ...ins } })).json();
    expect(stranger).toMatchObject({ effect: 'review', rules: [{ id: 'default:review-write' }], subject: { groups: [] } });
    expect(stranger.notes[0]).toMatch(/no Warden user named bob/);
    // a candidate file is judged without being applied
    const candidate = await call(admin, { method: 'POST', url: '/api/v1/policy/test', payload: { user: 'alice', ...ins, yaml: '- { id: freeze, effect: block, match: { classes: [write] } }' } });
    expect(candidate.json()).toMatchObject({ effect: 'block', rules: [{ id: 'freeze' }] });
    expect((await call(admin, { method: 'GET', url: '/api/v1/policy' })).json().version).toBe(2);
    expect((await call(plain, { method: 'POST', url: '/api/v1/policy/test', payload: { user: 'alice', ...ins } })).statusCode).toBe(403);
    const badAt = await call(admin, { method: 'POST', url: '/api/v1/policy/test', payload: { user: 'alice', ...ins, at: 'tomorrow' } });
    expect(badAt.statusCode).toBe(400);
  });

  it('documents the endpoints in OpenAPI', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/policy', '/api/v1/policy/test']));
  });
});
