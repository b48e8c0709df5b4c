import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenError } from '../../src/core/errors.ts';
import { issueToken } from '../../src/core/identity/tokens.ts';
import { parseIdpMetadata } from '../../src/core/identity/saml/index.ts';
import { newId } from '../../src/core/ids.ts';
import { testPgUrl } from '../../src/store/testing.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { idpMetadataXml, newIdpKeys, requestIdOf, signedResponse, type IdpKeys } from './saml-idp.ts';

const ACS = 'https://warden.test/api/v1/auth/saml/acs';
const SP = 'https://warden.test/saml';
const IDP = 'https://idp.test/saml';

let oldKey: IdpKeys;
let newKey: IdpKeys;
let encryptionOnly: IdpKeys;
beforeAll(async () => {
  [oldKey, newKey, encryptionOnly] = await Promise.all([newIdpKeys('old'), newIdpKeys('new'), newIdpKeys('enc')]);
});

describe('IdP metadata', () => {
  it('reads the entityID, every signing certificate and the HTTP-Redirect SSO URL', () => {
    const xml = idpMetadataXml({
      entityId: IDP,
      signing: [oldKey, newKey],
      encryption: [encryptionOnly],
      sso: [{ binding: 'HTTP-POST', location: 'https://idp.test/post' }, { binding: 'HTTP-Redirect', location: 'https://idp.test/sso' }],
    });
    const meta = parseIdpMetadata(xml, 'test');
    expect(meta.entityId).toBe(IDP);
    expect(meta.ssoUrl).toBe('https://idp.test/sso');
    expect(meta.certs).toHaveLength(2);
    // The certificates come out as PEM a verifier can load, the encryption-only key left out.
    const body = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');
    expect(meta.certs.map(body)).toEqual([oldKey.cert, newKey.cert].map(body));
  });

  const refusals: [string, () => string, RegExp][] = [
    ['metadata without a signing certificate', () => idpMetadataXml({ entityId: IDP, signing: [], encryption: [encryptionOnly] }), /no signing certificate/],
    ['metadata without an HTTP-Redirect SSO service', () => idpMetadataXml({ entityId: IDP, signing: [newKey], sso: [{ binding: 'HTTP-POST', location: 'https://idp.test/post' }] }), /HTTP-Redirect/],
    ['a DOCTYPE', () => `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${idpMetadataXml({ entityId: IDP, signing: [newKey] })}`, /DOCTYPE/],
    ['XML that is not well-formed', () => '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><oops></md:EntityDescriptor>', /not well-formed|EntityDescriptor/],
    ['an SP metadata document', () => `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${SP}"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>`, /exactly one EntityDescriptor with an IDPSSODescriptor/],
    ['a certificate that is not one', () => idpMetadataXml({ entityId: IDP, signing: [{ cert: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', key: '' }] }), /cannot be read/],
  ];
  for (const [what, xml, message] of refusals) {
    it(`refuses ${what}`, () => {
      let err: unknown;
      try {
        parseIdpMetadata(xml(), 'test');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(WardenError);
      expect((err as WardenError).kind).toBe('bad_request');
      expect((err as WardenError).message).toMatch(message);
    });
  }
});

// Two gateways on one PostgreSQL store, configured from the IdP's metadata file alone.
describe('two gateways on one store, SAML from metadata', () => {
  const schema = `warden_test_${randomBytes(6).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'warden-saml-md-'));
  let one: TestGateway;
  let two: TestGateway;
  let auditor: string;
  let user: string;

  beforeAll(async () => {
    const file = join(dir, 'idp-metadata.xml');
    writeFileSync(file, idpMetadataXml({ entityId: IDP, signing: [oldKey, newKey], encryption: [encryptionOnly] }));
    const config = { identity: { saml: { issuer: SP, callbackUrl: ACS, idpMetadata: file, groupMap: { 'eng-dba': ['dba'] } } }, store: { url: testPgUrl, schema } };
    one = await startTestGateway({ config });
    two = await startTestGateway({ config });
    const core = one.gw.core;
    const a = await core.users.create({ id: newId('usr'), name: 'audrey', role: 'auditor', groups: [], createdAt: new Date() });
    auditor = (await issueToken(core, a.id, { name: 'test' })).token;
    user = await one.user('ursula');
  });
  afterAll(async () => {
    await one?.stop();
    await two?.stop();
    const client = new pg.Client({ connectionString: testPgUrl });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`).finally(() => client.end());
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (gw: TestGateway) => {
    const res = await fetch(`${gw.apiUrl}/api/v1/auth/saml/login`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location.startsWith('https://idp.test/sso?')).toBe(true);
    return requestIdOf(location);
  };
  const post = (gw: TestGateway, samlResponse: string) =>
    fetch(`${gw.apiUrl}/api/v1/auth/saml/acs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: samlResponse }).toString(),
    });
  const audit = async (token: string, query: string) => fetch(`${one.apiUrl}/api/v1/audit?${query}`, { headers: { authorization: `Bearer ${token}` } });

  it('serves its SP metadata for registering Warden at the IdP', async () => {
    const res = await fetch(`${one.apiUrl}/api/v1/auth/saml/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/samlmetadata\+xml/);
    const xml = await res.text();
    expect(xml).toContain(`entityID="${SP}"`);
    expect(xml).toContain(`Location="${ACS}"`);
  });

  it('signs in with the rotated key on the other gateway, refuses the replay on the first, and audits both', async () => {
    const id = await start(one);
    const posted = signedResponse({ inResponseTo: id, acs: ACS, audience: SP, issuer: IDP, name: 'carol' }, newKey);
    const ok = await post(two, posted);
    expect(ok.status, await ok.clone().text()).toBe(200);
    expect(((await ok.json()) as { user: { groups: string[] } }).user.groups).toEqual(['dba']);

    const replay = await post(one, posted);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { message: string }).message).toMatch(/already used to sign in/);

    const events = (await (await audit(auditor, 'type=login.saml')).json()) as { outcome: string; actor: string | null; detail: { reason?: string } }[];
    expect(events.find((e) => e.outcome === 'success')).toMatchObject({ actor: 'carol' });
    expect(events.some((e) => e.outcome === 'failure' && /already used/.test(e.detail.reason ?? ''))).toBe(true);
  });

  it('refuses a response signed only by the encryption key, and one from another issuer, with audit events', async () => {
    const forged = await post(one, signedResponse({ inResponseTo: await start(one), acs: ACS, audience: SP, issuer: IDP, name: 'mallory' }, encryptionOnly));
    expect(forged.status).toBe(401);
    const stranger = await post(two, signedResponse({ inResponseTo: await start(two), acs: ACS, audience: SP, issuer: 'https://other-idp.test', name: 'mallory' }, oldKey));
    expect(stranger.status).toBe(401);
    expect(await one.gw.core.users.byName('mallory')).toBeUndefined();

    const failures = (await (await audit(auditor, 'type=login&limit=50')).json()) as { type: string; outcome: string; detail: { reason?: string } }[];
    const reasons = failures.filter((e) => e.type === 'login.saml' && e.outcome === 'failure').map((e) => e.detail.reason ?? '');
    expect(reasons.some((r) => /not signed with the identity provider's certificate/.test(r))).toBe(true);
    expect(reasons.some((r) => /issued by "https:\/\/other-idp\.test"/.test(r))).toBe(true);
  });

  it('shows the audit log to auditors only', async () => {
    expect((await audit(user, '')).status).toBe(403);
    expect((await audit(auditor, 'since=not-a-time')).status).toBe(400);
    const none = (await (await audit(auditor, `since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).json()) as unknown[];
    expect(none).toEqual([]);
  });
});
