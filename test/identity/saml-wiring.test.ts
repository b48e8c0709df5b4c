import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'selfsigned';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

// A gateway started with `identity.saml` in its config serves SP-initiated login (the ACS checks are in saml.test.ts).
let t: TestGateway;
beforeAll(async () => {
  const idp = await generate([{ name: 'commonName', value: 'test-idp' }], { keySize: 2048 });
  t = await startTestGateway({
    config: {
      identity: {
        saml: { entryPoint: 'https://idp.example.test/sso', issuer: 'warden-sp', idpCert: idp.cert, callbackUrl: 'http://127.0.0.1/api/v1/auth/saml/acs' },
      },
    },
  });
});
afterAll(() => t?.stop());

describe('SAML wiring', () => {
  it('redirects a browser to the IdP with an AuthnRequest', async () => {
    const res = await fetch(`${t.apiUrl}/api/v1/auth/saml/login`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe('https://idp.example.test/sso');
    expect(location.searchParams.get('SAMLRequest')).toBeTruthy();
  });
});
