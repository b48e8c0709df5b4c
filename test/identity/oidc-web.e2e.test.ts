import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfFor, sessionCookie } from '../../src/api/web/session.ts';
import { startWebGateway, type WebGateway } from './web-gateway.ts';
import { Browser } from './web-browser.ts';

/**
 * Browser sign-in end to end: the gateway's /auth/oidc/login, the real
 * oidc-provider's login and consent pages, the callback's code exchange with
 * PKCE and nonce, and the session cookie used against the API.
 */
let t: WebGateway;
const isCallback = (u: URL) => u.pathname === '/auth/oidc/callback';

beforeAll(async () => {
  t = await startWebGateway({ oidc: { groupsFrom: 'idToken' } });
  t.idp.accounts.set('carol', { groups: ['eng-dba', 'unmapped'] });
}, 60_000);
afterAll(() => t?.stop());

const browser = () => new Browser(t.idp.issuer, 'carol');
const refusals = () => t.logs.filter((l) => l.event === 'oidc_web_signin_refused');
/** The web sign-in audit events with this outcome, newest first. */
const audited = async (outcome: 'success' | 'failure') =>
  (await t.gw.core.audit.list({ type: 'login.oidc', limit: 1000 })).filter((e) => e.outcome === outcome && e.detail.flow === 'web');
/** Sets a column of a pending sign-in state in the gateway's SQLite store. */
function tamperState(state: string, column: 'nonce', value: string): void {
  const db = new Database(join(t.gw.core.config.dataDir, 'warden.db'));
  try {
    expect(db.prepare(`update oidc_login_states set ${column} = ? where state = ?`).run(value, state).changes).toBe(1);
  } finally {
    db.close();
  }
}

describe('OIDC browser sign-in (authorization code + PKCE)', () => {
  it('signs in at the IdP and ends with a cookie session the API accepts', async () => {
    const b = browser();
    const start = await b.request(`${t.apiUrl}/auth/oidc/login?next=/api/v1/whoami`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin).toBe(t.idp.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${t.apiUrl}/auth/oidc/callback`);
    expect(authorize.searchParams.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['openid', 'offline_access']));

    const landed = await b.open(authorize.href);
    expect(landed.url).toBe(`${t.apiUrl}/api/v1/whoami`);
    expect(landed.status).toBe(200);
    expect(JSON.parse(landed.html)).toMatchObject({ user: { name: 'carol', role: 'user', groups: ['dba'] } });
    expect((await audited('success'))[0]).toMatchObject({ actor: 'carol', detail: { groups: ['dba'], idpGroups: ['eng-dba', 'unmapped'] } });

    const cookie = b.setCookies.find((c) => c.startsWith(`${sessionCookie}=`))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/); // plain http to 127.0.0.1
    const token = decodeURIComponent(b.jar.get(sessionCookie)!);
    expect(token).toMatch(/^wdn_tok_/);
    // The session token is short-lived: the web session lifetime (8 h default), not the 12 h CLI token.
    const record = await t.gw.core.tokens.byId(/^wdn_(tok_[0-9a-z]+)_/.exec(token)![1]!);
    expect(record!.expiresAt!.getTime() - record!.createdAt.getTime()).toBe(8 * 60 * 60_000);

    // A cookie-signed change needs the CSRF header; with it, the API takes it.
    const noCsrf = await b.request(`${t.apiUrl}/api/v1/access-requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ connection: 'nope', for: '1h', reason: 'x' }) });
    expect(noCsrf.status).toBe(401);
    expect(((await noCsrf.json()) as { message: string }).message).toMatch(/x-warden-csrf/);
    const withCsrf = await b.request(`${t.apiUrl}/api/v1/access-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-warden-csrf': csrfFor(token) },
      body: JSON.stringify({ connection: 'nope', for: '1h', reason: 'x' }),
    });
    expect(withCsrf.status).toBe(404); // past authentication: the connection does not exist

    // Logout revokes the session's token; the old cookie no longer works.
    const out = await b.request(`${t.apiUrl}/auth/logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `csrf=${csrfFor(token)}` });
    expect(out.status).toBe(200);
    expect(b.jar.has(sessionCookie)).toBe(false);
    const after = await fetch(`${t.apiUrl}/api/v1/whoami`, { headers: { cookie: `${sessionCookie}=${encodeURIComponent(token)}` } });
    expect(after.status).toBe(401);
  });

  it('only follows `next` to a path on the gateway (no open redirect)', async () => {
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const b = browser();
      const landed = await b.open(`${t.apiUrl}/auth/oidc/login?next=${encodeURIComponent(next)}`);
      expect(landed.url, next).toBe(`${t.apiUrl}/api/v1/whoami`);
    }
  });

  it('refuses a callback whose state it never issued, with a clear page and a log event', async () => {
    const b = browser();
    const cb = await b.open(`${t.apiUrl}/auth/oidc/login`, { stopAt: isCallback });
    const forged = new URL(cb.url);
    forged.searchParams.set('state', 'forged-state');
    const before = refusals().length;
    const auditedBefore = (await audited('failure')).length;
    const res = await b.request(forged.href);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/not started in this browser \(state mismatch\)/);
    expect(b.jar.has(sessionCookie)).toBe(false);
    expect(refusals().length).toBe(before + 1);
    const failures = await audited('failure');
    expect(failures.length).toBe(auditedBefore + 1);
    expect(failures[0]!.detail.reason).toMatch(/state mismatch/);
    // The real state was not spent by the forgery: the genuine callback still signs in.
    expect((await b.request(cb.url)).status).toBe(303);
  });

  it("refuses a callback link opened in a browser that did not start the sign-in (login CSRF)", async () => {
    // Mallory signs in as herself up to the IdP's answer and sends the callback link to someone else.
    const mallory = browser();
    const link = (await mallory.open(`${t.apiUrl}/auth/oidc/login`, { stopAt: isCallback })).url;
    const victim = new Browser(t.idp.issuer, 'victim');
    const res = await victim.request(link);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/not started in this browser/);
    expect(victim.jar.has(sessionCookie)).toBe(false);
  });

  it('refuses a replayed callback and a replayed code', async () => {
    const b = browser();
    const first = await b.open(`${t.apiUrl}/auth/oidc/login`, { stopAt: isCallback });
    expect((await b.request(first.url)).status).toBe(303);
    // The same callback again, in the same browser: its state was taken by the first use.
    const again = await b.request(first.url);
    expect(again.status).toBe(400);
    expect(await again.text()).toMatch(/unknown, expired or already finished \(state mismatch\)/);
    // The used code under a fresh, valid state: the IdP refuses it.
    const second = await b.open(`${t.apiUrl}/auth/oidc/login`, { stopAt: isCallback });
    const replay = new URL(second.url);
    replay.searchParams.set('code', new URL(first.url).searchParams.get('code')!);
    const before = refusals().length;
    const res = await b.request(replay.href);
    expect(res.status).toBe(401);
    expect(await res.text()).toMatch(/refused the sign-in code/);
    expect(refusals().length).toBe(before + 1);
  });

  it('says so when the IdP sends the browser back with an error instead of a code', async () => {
    const b = browser();
    const cb = new URL((await b.open(`${t.apiUrl}/auth/oidc/login`, { stopAt: isCallback })).url);
    const back = new URL(`${t.apiUrl}/auth/oidc/callback`);
    back.searchParams.set('state', cb.searchParams.get('state')!);
    back.searchParams.set('error', 'access_denied');
    back.searchParams.set('error_description', 'user <b>declined</b>');
    const res = await b.request(back.href);
    expect(res.status).toBe(401);
    const html = await res.text();
    expect(html).toContain('refused the sign-in (user &lt;b&gt;declined&lt;/b&gt;)');
    expect(b.jar.has(sessionCookie)).toBe(false);
  });

  it('refuses an ID token whose nonce is not the one sent', async () => {
    const b = browser();
    const cb = await b.open(`${t.apiUrl}/auth/oidc/login`, { stopAt: isCallback });
    tamperState(new URL(cb.url).searchParams.get('state')!, 'nonce', 'another-nonce');
    const before = refusals().length;
    const res = await b.request(cb.url);
    expect(res.status).toBe(401);
    expect(await res.text()).toMatch(/ID token failed validation.*nonce/);
    expect(b.jar.has(sessionCookie)).toBe(false);
    const logged = refusals().slice(before);
    expect(logged).toHaveLength(1);
    // The log keeps the library's reason; the audit event the message the person saw.
    expect(JSON.stringify(logged[0])).toMatch(/nonce/);
    expect((await audited('failure'))[0]!.detail.reason).toMatch(/nonce/);
  });
});

describe('groups from userinfo', () => {
  let u: WebGateway;
  beforeAll(async () => {
    u = await startWebGateway({ oidc: { groupsFrom: 'userinfo' } });
    // The ID token says eng-dba; userinfo (what this gateway reads) says approvers.
    u.idp.accounts.set('erin', { groups: ['eng-dba'], userinfoGroups: ['approvers'] });
  }, 60_000);
  afterAll(() => u?.stop());

  it('maps the groups the userinfo endpoint returns, not the ID token claim', async () => {
    const landed = await new Browser(u.idp.issuer, 'erin').open(`${u.apiUrl}/auth/oidc/login`);
    expect(JSON.parse(landed.html)).toMatchObject({ user: { name: 'erin', groups: ['approvers'] } });
  });
});
