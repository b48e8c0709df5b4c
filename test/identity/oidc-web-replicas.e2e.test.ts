import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionCookie } from '../../src/api/web/session.ts';
import { testPgUrl } from '../../src/store/testing.ts';
import { Browser } from './web-browser.ts';
import { startWebGateway, type WebGateway } from './web-gateway.ts';

/**
 * Two gateway replicas sharing a PostgreSQL store (a schema of its own) and a
 * master key: a browser sign-in started on one finishes on the other, because
 * the state, nonce and sealed PKCE verifier wait in the store, not in memory.
 */
const schema = `warden_test_web_${randomBytes(5).toString('hex')}`;
const env = { WARDEN_MASTER_KEY: randomBytes(32).toString('base64') };
let b: WebGateway;
let a: WebGateway;

beforeAll(async () => {
  // B is the replica the IdP sends browsers back to; A starts sign-ins with B's redirect URI.
  b = await startWebGateway({ store: { url: testPgUrl, schema }, env });
  a = await startWebGateway({ idp: b.idp, store: { url: testPgUrl, schema }, env, oidc: { redirectUri: `${b.apiUrl}/auth/oidc/callback` } });
  b.idp.accounts.set('rhea', { groups: ['eng-dba'] });
}, 60_000);
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  const c = new pg.Client({ connectionString: testPgUrl });
  await c.connect();
  await c.query(`drop schema if exists ${schema} cascade`);
  await c.end();
});

describe('browser sign-in across replicas', () => {
  it('starts on one replica and finishes on another', async () => {
    const browser = new Browser(b.idp.issuer, 'rhea');
    const start = await browser.request(`${a.apiUrl}/auth/oidc/login?next=/api/v1/whoami`);
    expect(new URL(start.headers.get('location')!).searchParams.get('redirect_uri')).toBe(`${b.apiUrl}/auth/oidc/callback`);
    const landed = await browser.open(start.headers.get('location')!);
    expect(landed.url).toBe(`${b.apiUrl}/api/v1/whoami`);
    expect(JSON.parse(landed.html)).toMatchObject({ user: { name: 'rhea', groups: ['dba'] } });
    // The session is a token in the shared store: replica A accepts it too.
    const token = decodeURIComponent(browser.jar.get(sessionCookie)!);
    const onA = await fetch(`${a.apiUrl}/api/v1/whoami`, { headers: { cookie: `${sessionCookie}=${encodeURIComponent(token)}` } });
    expect(onA.status).toBe(200);
  });
});
