import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcDeviceLogin } from '../../src/cli/login.ts';
import type { Output } from '../../src/cli/output.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { confirmDeviceCode } from './browser.ts';
import { startTestIdp, type TestIdp } from './idp.ts';

// The OIDC device flow end to end: a real OpenID provider, the gateway's API, a scripted browser,
// and the issued Warden token used as a PostgreSQL password through the gateway.
let idp: TestIdp;
let t: TestGateway;

beforeAll(async () => {
  idp = await startTestIdp();
  t = await startTestGateway({
    config: { identity: { oidc: { issuer: idp.issuer, clientId: 'warden-public', groupMap: { 'eng-dba': ['dba'], 'eng-all': ['eng'] } } } },
  });
  await t.connection('pg');
});
afterAll(async () => {
  await t?.stop();
  await idp?.stop();
});

async function post(path: string, body: unknown) {
  const res = await fetch(`${t.apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('OIDC device flow', () => {
  it('signs in through the API, maps IdP groups, and the token works on the PostgreSQL wire', async () => {
    idp.accounts.set('alice', { groups: ['eng-dba', 'eng-all', 'unmapped'] });
    const started = await post('/api/v1/auth/device', {});
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ user_code: expect.any(String), verification_uri: `${idp.issuer}/device`, device_code: expect.any(String) });
    const deviceCode = started.body['device_code'] as string;

    // Before the person confirms: pending.
    expect(await post('/api/v1/auth/device/poll', { device_code: deviceCode })).toMatchObject({ status: 202, body: { status: 'pending' } });

    await confirmDeviceCode(started.body['verification_uri'] as string, { user_code: started.body['user_code'] as string, login: 'alice' });
    const done = await pollUntilDone(deviceCode);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'complete', user: { name: 'alice', role: 'user', groups: ['dba', 'eng'] }, idpGroups: ['eng-dba', 'eng-all', 'unmapped'] });
    const token = done.body['token'] as string;
    expect(token).toMatch(/^wdn_tok_/);

    const alice = await t.gw.core.users.byName('alice');
    expect(alice?.groups).toEqual(['dba', 'eng']);
    const [record] = await t.gw.core.tokens.listForUser(alice!.id);
    // Short-lived: 12 h by default.
    expect(record!.expiresAt!.getTime() - record!.createdAt.getTime()).toBe(12 * 60 * 60_000);

    const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'alice', password: token, database: 'pg' });
    await c.connect();
    expect((await c.query('select current_database() as db')).rows).toEqual([{ db: 'test' }]);
    await c.end();

    // A used device code cannot be redeemed again.
    const again = await post('/api/v1/auth/device/poll', { device_code: deviceCode });
    expect(again.status).toBe(400);
  });

  it('`warden login --oidc` prints the URL and code, polls, and returns the token; groups are replaced on each login', async () => {
    idp.accounts.set('bob', { groups: ['eng-dba'] });
    const notes: string[] = [];
    const out: Output = { json: false, result: () => {}, note: (text) => notes.push(text) };
    let confirmed = false;
    const token = await oidcDeviceLogin(t.apiUrl, out, async () => {
      if (confirmed) return;
      confirmed = true;
      const url = /open (\S+)/.exec(notes[0]!)![1]!;
      const code = /code: (\S+)/.exec(notes[1]!)![1]!;
      await confirmDeviceCode(url, { user_code: code, login: 'bob' });
    });
    expect((await t.gw.core.users.byName('bob'))?.groups).toEqual(['dba']);
    const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'bob', password: token, database: 'pg' });
    await c.connect();
    await c.end();

    // The IdP drops bob from eng-dba: the next login takes the group away.
    idp.accounts.set('bob', { groups: ['eng-all'] });
    confirmed = false;
    notes.length = 0;
    await oidcDeviceLogin(t.apiUrl, out, async () => {
      if (confirmed) return;
      confirmed = true;
      await confirmDeviceCode(/open (\S+)/.exec(notes[0]!)![1]!, { user_code: /code: (\S+)/.exec(notes[1]!)![1]!, login: 'bob' });
    });
    expect((await t.gw.core.users.byName('bob'))?.groups).toEqual(['eng']);
  });

  it('refuses an unknown device code and an OIDC login onto a local admin', async () => {
    expect(await post('/api/v1/auth/device/poll', { device_code: 'not-a-code' })).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    idp.accounts.set('admin', { groups: [] });
    const started = await post('/api/v1/auth/device', {});
    await confirmDeviceCode(started.body['verification_uri'] as string, { user_code: started.body['user_code'] as string, login: 'admin' });
    const r = await pollUntilDone(started.body['device_code'] as string);
    expect(r).toMatchObject({ status: 401, body: { error: 'access_denied', message: expect.stringMatching(/local admin/) } });
  });
});

async function pollUntilDone(deviceCode: string) {
  for (let i = 0; i < 50; i++) {
    const r = await post('/api/v1/auth/device/poll', { device_code: deviceCode });
    if (r.status !== 202) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('device login never completed');
}
