import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionCookie } from '../../src/api/web/session.ts';
import { realPg } from '../helpers/gateway.ts';
import { psql } from '../helpers/psql.ts';
import { confirmDeviceCode } from './browser.ts';
import { Browser } from './web-browser.ts';
import { startWebGateway, type WebGateway } from './web-gateway.ts';

/**
 * Issue 7's policy end to end: a member of IdP group `dba` may run DDL
 * through psql; once the group is removed at the IdP and the re-check
 * interval has passed on the gateway's clock, the same token may not. A user
 * removed at the IdP loses the token altogether.
 */
const every = 15 * 60_000;
const table = `oidc_refresh_${process.pid}_${Date.now().toString(36)}`;
let t: WebGateway;

beforeAll(async () => {
  t = await startWebGateway({
    oidc: { refreshGroupsEvery: every },
    // DDL needs a review, except for dba members; queue mode refuses at once instead of holding psql.
    rules: [{ id: 'ddl-by-dba', effect: 'review', match: { classes: ['ddl'] }, review: { mode: 'queue', skipGroups: ['dba'] } }],
  });
  await t.connection('pgmain');
}, 60_000);
afterAll(async () => {
  const c = new pg.Client(realPg);
  await c.connect();
  await c.query(`drop table if exists ${table}`);
  await c.end();
  await t?.stop();
});

/** Signs `name` in through the browser flow; returns the session's Warden token. */
async function webLogin(name: string): Promise<{ token: string; browser: Browser }> {
  const browser = new Browser(t.idp.issuer, name);
  const landed = await browser.open(`${t.apiUrl}/auth/oidc/login`);
  expect(landed.status).toBe(200);
  return { token: decodeURIComponent(browser.jar.get(sessionCookie)!), browser };
}

const ddl = (user: string, token: string, sql: string) =>
  psql([`postgresql://${user}:${encodeURIComponent(token)}@127.0.0.1:${t.pgPort}/pgmain?sslmode=disable`, '-v', 'ON_ERROR_STOP=1', '-c', sql]);

describe('IdP group changes reach Warden tokens', () => {
  it('takes DDL away once the dba group is removed at the IdP and the re-check interval passes', async () => {
    t.idp.accounts.set('dora', { groups: ['eng-dba'] });
    const { token, browser } = await webLogin('dora');

    const created = await ddl('dora', token, `create table ${table} (id int)`);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);

    t.idp.accounts.set('dora', { groups: [] });
    // Inside the interval the token keeps the groups it was issued with.
    t.advance(every - 60_000);
    const stillDba = await ddl('dora', token, `alter table ${table} add column a int`);
    expect(stillDba.code, stillDba.stderr).toBe(0);

    // Past it, the next session start re-reads the groups at the IdP.
    t.advance(2 * 60_000);
    const refused = await ddl('dora', token, `alter table ${table} add column b int`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/review R-\d+/);
    expect((await t.gw.core.users.byName('dora'))!.groups).toEqual([]);
    expect(t.logs.some((l) => l.msg === 'oidc group re-check changed groups' && l.user === 'dora')).toBe(true);

    // The browser session (same user) sees the new groups too.
    const who = await browser.request(`${t.apiUrl}/api/v1/whoami`);
    expect(((await who.json()) as { user: { groups: string[] } }).user.groups).toEqual([]);
  });

  it('re-checks a CLI (device flow) login the same way, on API calls too', async () => {
    t.idp.accounts.set('gus', { groups: ['eng-dba'] });
    const started = (await (await fetch(`${t.apiUrl}/api/v1/auth/device`, { method: 'POST' })).json()) as { device_code: string; user_code: string; verification_uri_complete: string };
    await confirmDeviceCode(started.verification_uri_complete, { user_code: started.user_code, login: 'gus' });
    const polled = await fetch(`${t.apiUrl}/api/v1/auth/device/poll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ device_code: started.device_code }) });
    const { token } = (await polled.json()) as { token: string };
    const groups = async () => {
      const res = await fetch(`${t.apiUrl}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { user: { groups: string[] } }).user.groups;
    };
    expect(await groups()).toEqual(['dba']);
    t.idp.accounts.set('gus', { groups: [] });
    expect(await groups()).toEqual(['dba']);
    t.advance(every);
    expect(await groups()).toEqual([]);
  });

  it('ends the token when the IdP refuses the refresh (user removed at the IdP)', async () => {
    t.idp.accounts.set('frank', { groups: ['eng-dba'] });
    const { token } = await webLogin('frank');
    expect((await ddl('frank', token, 'select 1')).code).toBe(0);

    t.idp.accounts.delete('frank');
    t.advance(every + 1);
    const refused = await ddl('frank', token, 'select 1');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/withdrawn at the identity provider/);
    const id = /^wdn_(tok_[0-9a-z]+)_/.exec(token)![1]!;
    expect((await t.gw.core.tokens.byId(id))!.revokedAt).not.toBeNull();
    // Revoked for good: the API refuses it as any revoked token.
    const api = await fetch(`${t.apiUrl}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(api.status).toBe(401);
  });
});

describe('an identity provider that cannot be reached', () => {
  let u: WebGateway;
  beforeAll(async () => {
    u = await startWebGateway({ oidc: { refreshGroupsEvery: every } });
    u.idp.accounts.set('ivy', { groups: ['eng-dba'] });
  }, 60_000);
  afterAll(() => u?.stop());

  it('refuses the use that is due for a re-check, without revoking the token', async () => {
    const browser = new Browser(u.idp.issuer, 'ivy');
    await browser.open(`${u.apiUrl}/auth/oidc/login`);
    const token = decodeURIComponent(browser.jar.get(sessionCookie)!);
    const whoami = () => fetch(`${u.apiUrl}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect((await whoami()).status).toBe(200);

    await u.idp.stop();
    u.advance(every);
    const refused = await whoami();
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { message: string }).message).toMatch(/cannot re-check your groups at the identity provider/);
    // fail closed, but not for good: the next use tries the IdP again, and the token is not revoked.
    expect((await whoami()).status).toBe(401);
    const id = /^wdn_(tok_[0-9a-z]+)_/.exec(token)![1]!;
    expect((await u.gw.core.tokens.byId(id))!.revokedAt).toBeNull();
    expect(u.logs.filter((l) => l.msg === 'oidc group re-check: identity provider unreachable; access refused until it answers')).toHaveLength(2);
  });
});
