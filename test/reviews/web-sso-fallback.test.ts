import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.ts';
import { createTestCore, type TestCore } from '../../src/api/testing.ts';
import { sessionCookie } from '../../src/api/web/session.ts';
import { createSamlLogin } from '../../src/core/identity/saml/index.ts';
import { newIdpKeys, requestIdOf, signedResponse, type IdpKeys } from '../identity/saml-idp.ts';

/**
 * The review page's sign-in when OIDC is not configured: SAML SP-initiated
 * login with the page as RelayState (the ACS then sets the session cookie and
 * returns to it), and with no SSO at all a page pointing at the CLI. The ACS
 * checks themselves are in test/identity/saml.test.ts.
 */
const ACS = 'https://warden.test/api/v1/auth/saml/acs';
const SP = 'https://warden.test/saml';
const IDP = 'https://idp.test/saml';
let t: TestCore;
let app: FastifyInstance;
let keys: IdpKeys;
let reviewId: string;

beforeAll(async () => {
  keys = await newIdpKeys();
  t = await createTestCore();
  app = await buildApi(t.core);
  const review = await t.core.reviews.requestCommand({
    requester: { name: 'rita', groups: [], role: 'user' },
    connection: 'pgmain',
    text: 'delete from orders where id = $1',
    rules: ['writes'],
    policy: { mode: 'hold', approverGroups: ['dba'], approvals: 1, eachGroup: false, timeoutMs: 3_600_000, approvalWindowMs: 0, maxRuns: 1, requireJustification: false },
  });
  reviewId = review.id;
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});
beforeEach(() => {
  delete t.core.saml;
});

describe('review page sign-in without OIDC', () => {
  it('tells the person to use the CLI when no single sign-on is configured', async () => {
    const res = await app.inject({ method: 'GET', url: `/reviews/${reviewId}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('Sign in with the CLI');
    expect(res.body).toContain(`warden reviews approve (or deny) ${reviewId}`);
  });

  it('goes through SAML with the page as RelayState and comes back signed in', async () => {
    t.core.saml = createSamlLogin(
      { entryPoint: 'https://idp.test/sso', issuer: SP, idpCert: keys.cert, callbackUrl: ACS, groupsAttribute: 'groups', groupMap: { 'eng-dba': ['dba'] }, tokenTtlMs: 3_600_000 },
      t.core,
    );
    const start = await app.inject({ method: 'GET', url: `/reviews/${reviewId}` });
    expect(start.statusCode).toBe(302);
    const location = new URL(start.headers.location as string);
    expect(location.origin + location.pathname).toBe('https://idp.test/sso');
    expect(location.searchParams.get('RelayState')).toBe(`/reviews/${reviewId}`);

    const SAMLResponse = signedResponse({ inResponseTo: requestIdOf(location.href), acs: ACS, audience: SP, issuer: IDP, name: 'sam', groups: ['eng-dba'] }, keys);
    const acs = await app.inject({ method: 'POST', url: '/api/v1/auth/saml/acs', payload: { SAMLResponse, RelayState: `/reviews/${reviewId}` } });
    expect(acs.statusCode).toBe(303);
    expect(acs.headers.location).toBe(`/reviews/${reviewId}`);
    const cookie = String(acs.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^${sessionCookie}=wdn_tok_`));
    expect(cookie).toMatch(/HttpOnly; SameSite=Lax/);

    const page = await app.inject({ method: 'GET', url: `/reviews/${reviewId}`, headers: { cookie: cookie.split(';')[0]! } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Signed in as sam');
    expect(page.body).toContain('delete from orders where id = $1');
    expect(page.body).toContain('name="decision" value="approve"');
  });

  it('answers a SAML sign-in whose RelayState is not a local path with the token, not a redirect', async () => {
    t.core.saml = createSamlLogin(
      { entryPoint: 'https://idp.test/sso', issuer: SP, idpCert: keys.cert, callbackUrl: ACS, groupsAttribute: 'groups', groupMap: {}, tokenTtlMs: 3_600_000 },
      t.core,
    );
    const login = await app.inject({ method: 'GET', url: '/api/v1/auth/saml/login' });
    const SAMLResponse = signedResponse({ inResponseTo: requestIdOf(login.headers.location as string), acs: ACS, audience: SP, issuer: IDP, name: 'sam' }, keys);
    const acs = await app.inject({ method: 'POST', url: '/api/v1/auth/saml/acs', payload: { SAMLResponse, RelayState: 'https://evil.example/' } });
    expect(acs.statusCode).toBe(200);
    expect(acs.headers['set-cookie']).toBeUndefined();
    expect(acs.json()).toMatchObject({ user: { name: 'sam' } });
  });
});
