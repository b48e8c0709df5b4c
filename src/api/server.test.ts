import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../core/ids.ts';
import { buildApi } from './server.ts';
import { createTestCore, type TestCore } from './testing.ts';

let t: TestCore;
let app: FastifyInstance;
let admin: string;
let auditor: string;
let plain: string;
/** Every body the API sent back, to prove no secret ever left. */
const seen: string[] = [];

async function call(token: string | undefined, opts: InjectOptions) {
  const res = await app.inject({ ...opts, headers: { ...opts.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  seen.push(res.body, JSON.stringify(res.headers));
  return res;
}

beforeAll(async () => {
  t = await createTestCore();
  app = await buildApi(t.core);
  admin = await t.userWithToken('root', 'admin');
  auditor = await t.userWithToken('audrey', 'auditor');
  plain = await t.userWithToken('ursula', 'user');
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

describe('open endpoints', () => {
  it('serves health, metrics and the OpenAPI document without a token', async () => {
    expect((await call(undefined, { method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const metrics = await call(undefined, { method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toContain('warden_sessions_open');
    const doc = (await call(undefined, { method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/users', '/api/v1/connections/{name}', '/api/v1/sessions/{id}/events']));
    expect(doc.paths['/api/v1/connections'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('password');
    expect(doc.components.securitySchemes.bearer.scheme).toBe('bearer');
  });
});

describe('authentication and roles', () => {
  it('answers 401 without a token or with a bad one', async () => {
    for (const token of [undefined, 'not-a-token', `${admin}x`]) {
      const res = await call(token, { method: 'GET', url: '/api/v1/users' });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.json().error).toBe('access_denied');
    }
  });

  it('lets any user ask whoami, but only admins manage', async () => {
    const me = await call(plain, { method: 'GET', url: '/api/v1/whoami' });
    expect(me.statusCode).toBe(200);
    expect(me.json().user).toMatchObject({ name: 'ursula', role: 'user' });
    for (const [method, url] of [['GET', '/api/v1/users'], ['GET', '/api/v1/connections'], ['GET', '/api/v1/sessions']] as const) {
      expect((await call(plain, { method, url })).statusCode).toBe(403);
    }
  });

  it('lets auditors read sessions and nothing else', async () => {
    expect((await call(auditor, { method: 'GET', url: '/api/v1/sessions' })).statusCode).toBe(200);
    expect((await call(auditor, { method: 'GET', url: '/api/v1/users' })).statusCode).toBe(403);
    expect((await call(auditor, { method: 'DELETE', url: '/api/v1/sessions/ses_x' })).statusCode).toBe(403);
  });
});

describe('users', () => {
  it('creates, reads, changes and deletes a user', async () => {
    const created = await call(admin, { method: 'POST', url: '/api/v1/users', payload: { name: 'alice', groups: ['dba'] } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'alice', role: 'user', groups: ['dba'], disabledAt: null });
    expect((await call(admin, { method: 'POST', url: '/api/v1/users', payload: { name: 'alice' } })).statusCode).toBe(409);

    const patched = await call(admin, { method: 'PATCH', url: '/api/v1/users/alice', payload: { groups: ['dev'], disabled: true } });
    expect(patched.json()).toMatchObject({ groups: ['dev'] });
    expect(patched.json().disabledAt).not.toBeNull();
    const list = await call(admin, { method: 'GET', url: '/api/v1/users' });
    expect(list.json().map((u: { name: string }) => u.name)).toEqual(expect.arrayContaining(['alice', 'root']));

    expect((await call(admin, { method: 'DELETE', url: '/api/v1/users/alice' })).statusCode).toBe(204);
    expect((await call(admin, { method: 'GET', url: '/api/v1/users/alice' })).statusCode).toBe(404);
    expect((await call(admin, { method: 'DELETE', url: '/api/v1/users/alice' })).statusCode).toBe(404);
  });

  it('rejects bad input with 400 and a message naming the field', async () => {
    const badName = await call(admin, { method: 'POST', url: '/api/v1/users', payload: { name: 'a b' } });
    expect(badName.statusCode).toBe(400);
    expect(badName.json().message).toMatch(/body\.name/);
    const extra = await call(admin, { method: 'POST', url: '/api/v1/users', payload: { name: 'bob', rol: 'admin' } });
    expect(extra.statusCode).toBe(400);
    const badJson = await call(admin, { method: 'POST', url: '/api/v1/users', payload: '{', headers: { 'content-type': 'application/json' } });
    expect(badJson.statusCode).toBe(400);
  });

  it('refuses to let an admin delete, disable or demote themselves', async () => {
    expect((await call(admin, { method: 'DELETE', url: '/api/v1/users/root' })).statusCode).toBe(400);
    expect((await call(admin, { method: 'PATCH', url: '/api/v1/users/root', payload: { disabled: true } })).statusCode).toBe(400);
    expect((await call(admin, { method: 'PATCH', url: '/api/v1/users/root', payload: { role: 'user' } })).statusCode).toBe(400);
    expect((await call(admin, { method: 'GET', url: '/api/v1/users/root' })).json()).toMatchObject({ role: 'admin', disabledAt: null });
  });
});

describe('tokens', () => {
  it('shows a new token once, lists without secrets, and revokes', async () => {
    await call(admin, { method: 'POST', url: '/api/v1/users', payload: { name: 'tina' } });
    const issued = await call(admin, { method: 'POST', url: '/api/v1/users/tina/tokens', payload: { name: 'laptop', ttlMs: 3_600_000 } });
    expect(issued.statusCode).toBe(201);
    const { token, record } = issued.json();
    expect(record.expiresAt).not.toBeNull();
    expect((await call(token, { method: 'GET', url: '/api/v1/whoami' })).json().user.name).toBe('tina');

    const list = await call(admin, { method: 'GET', url: '/api/v1/users/tina/tokens' });
    expect(list.json()).toHaveLength(1);
    expect(list.body).not.toContain(token);
    expect(list.body).not.toMatch(/secret|hash/i);
    const stored = await t.core.tokens.byId(record.id);
    expect(stored?.secretHash).toBeTruthy();

    expect((await call(admin, { method: 'DELETE', url: `/api/v1/tokens/${record.id}` })).statusCode).toBe(204);
    expect((await call(token, { method: 'GET', url: '/api/v1/whoami' })).statusCode).toBe(401);
    expect((await call(admin, { method: 'DELETE', url: '/api/v1/tokens/tok_nope' })).statusCode).toBe(404);
    expect((await call(admin, { method: 'POST', url: '/api/v1/users/nobody/tokens', payload: {} })).statusCode).toBe(404);
  });
});

describe('connections', () => {
  const password = 'hunter2-very-secret';
  it('seals the password and never returns it', async () => {
    const created = await call(admin, {
      method: 'POST',
      url: '/api/v1/connections',
      payload: { name: 'prod', type: 'postgres', host: '127.0.0.1', port: 5432, database: 'test', username: 'postgres', password, tags: ['pii'] },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'prod', hasSecret: true, tls: 'prefer', tags: ['pii'] });
    const stored = await t.core.connections.byName('prod');
    expect(stored?.sealedSecret).not.toContain(password);
    expect(t.core.vault.open(stored!.sealedSecret!)).toBe(password);

    expect((await call(admin, { method: 'GET', url: '/api/v1/connections' })).json()).toHaveLength(1);
    expect((await call(admin, { method: 'GET', url: '/api/v1/connections/prod' })).json().hasSecret).toBe(true);
    const patched = await call(admin, { method: 'PATCH', url: '/api/v1/connections/prod', payload: { port: 6543, password: 'other-secret' } });
    expect(patched.json()).toMatchObject({ port: 6543, hasSecret: true });
    expect(t.core.vault.open((await t.core.connections.byName('prod'))!.sealedSecret!)).toBe('other-secret');
    const cleared = await call(admin, { method: 'PATCH', url: '/api/v1/connections/prod', payload: { password: null } });
    expect(cleared.json().hasSecret).toBe(false);

    const sealed = [stored!.sealedSecret!];
    for (const body of seen) {
      for (const s of [password, 'other-secret', ...sealed]) expect(body).not.toContain(s);
    }
  });

  it('answers 404, 409 and 400 where it should', async () => {
    expect((await call(admin, { method: 'GET', url: '/api/v1/connections/nope' })).statusCode).toBe(404);
    expect((await call(admin, { method: 'PATCH', url: '/api/v1/connections/nope', payload: { port: 1 } })).statusCode).toBe(404);
    expect((await call(admin, { method: 'DELETE', url: '/api/v1/connections/nope' })).statusCode).toBe(404);
    const dup = { name: 'prod', type: 'postgres', host: 'h', port: 1, username: 'u' };
    expect((await call(admin, { method: 'POST', url: '/api/v1/connections', payload: dup })).statusCode).toBe(409);
    const bad = await call(admin, { method: 'POST', url: '/api/v1/connections', payload: { ...dup, name: 'x', type: 'oracle' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/body\.type/);
    expect((await call(admin, { method: 'DELETE', url: '/api/v1/connections/prod' })).statusCode).toBe(204);
  });
});

describe('sessions', () => {
  it('lists, shows, streams the recording and kills live sessions', async () => {
    const id = newId('ses');
    const startedAt = new Date();
    await t.core.sessions.start({ id, userId: 'usr_x', userName: 'ursula', connectionName: 'prod', protocol: 'postgres', clientAddress: '127.0.0.1:5000', startedAt });
    const writer = t.core.recordings.open(id);
    writer.append({ type: 'session_start', at: startedAt.toISOString(), sessionId: id, user: 'ursula', connection: 'prod', protocol: 'postgres', clientAddress: '127.0.0.1:5000' });
    writer.append({ type: 'statement', at: startedAt.toISOString(), seq: 1, text: 'select 1', durationMs: 1, commandTag: 'SELECT 1', columns: ['?column?'], rows: [['1']], rowCount: 1, rowsTruncated: false });
    await writer.close();
    const killed: string[] = [];
    const remove = t.core.live.add({ id, user: 'ursula', connection: 'prod', protocol: 'postgres', startedAt, kill: (r) => killed.push(r) });

    const list = await call(admin, { method: 'GET', url: '/api/v1/sessions?user=ursula&limit=5' });
    expect(list.json()).toEqual([expect.objectContaining({ id, live: true, endedAt: null })]);
    expect((await call(admin, { method: 'GET', url: '/api/v1/sessions?user=nobody' })).json()).toEqual([]);
    expect((await call(admin, { method: 'GET', url: '/api/v1/sessions?limit=0' })).statusCode).toBe(400);
    expect((await call(auditor, { method: 'GET', url: `/api/v1/sessions/${id}` })).json().protocol).toBe('postgres');

    const events = await call(auditor, { method: 'GET', url: `/api/v1/sessions/${id}/events` });
    expect(events.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = events.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.type)).toEqual(['session_start', 'statement']);
    expect(lines[1].rows).toEqual([['1']]);

    expect((await call(admin, { method: 'DELETE', url: `/api/v1/sessions/${id}` })).statusCode).toBe(204);
    expect(killed).toEqual(['killed by root']);
    remove();
    expect((await call(admin, { method: 'DELETE', url: `/api/v1/sessions/${id}` })).statusCode).toBe(404);
  });

  it('answers 404 for unknown sessions and missing recordings', async () => {
    expect((await call(admin, { method: 'GET', url: '/api/v1/sessions/ses_nope' })).statusCode).toBe(404);
    expect((await call(admin, { method: 'GET', url: '/api/v1/sessions/ses_nope/events' })).statusCode).toBe(404);
    const id = newId('ses');
    await t.core.sessions.start({ id, userId: 'u', userName: 'u', connectionName: 'c', protocol: 'postgres', clientAddress: 'x', startedAt: new Date() });
    const res = await call(admin, { method: 'GET', url: `/api/v1/sessions/${id}/events` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
  });
});

describe('errors', () => {
  it('hides internal failures behind a generic 500', async () => {
    const broken = await buildApi({
      ...t.core,
      connections: { ...t.core.connections, list: async () => Promise.reject(new Error('db password=s3cr3t rejected')) },
    });
    const res = await broken.inject({ method: 'GET', url: '/api/v1/connections', headers: { authorization: `Bearer ${admin}` } });
    await broken.close();
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'internal', message: 'internal gateway error; the incident was logged' });
  });
});
