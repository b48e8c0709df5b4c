import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { buildApi } from '../../src/api/server.ts';
import { createTestCore, type TestCore } from '../../src/api/testing.ts';
import { validateConfig } from '../../src/config/load.ts';
import { manualClock } from '../../src/core/clock.ts';
import { WardenError } from '../../src/core/errors.ts';
import { createSamlLogin, samlFromConfig, type ResolvedSamlSettings } from '../../src/core/identity/saml/index.ts';
import { verifyToken } from '../../src/core/identity/tokens.ts';

// A SAML SP against responses built and signed here as an IdP would (xml-crypto, RSA-SHA256,
// exclusive c14n, enveloped signature on the assertion), posted to the real ACS route.
const ACS = 'https://warden.test/api/v1/auth/saml/acs';
const SP = 'https://warden.test/saml';
const IDP = 'https://idp.test/saml';

let t: TestCore;
let app: FastifyInstance;
let idp: { cert: string; key: string };
let stranger: { cert: string; key: string };

const settings = (over: Partial<ResolvedSamlSettings> = {}): ResolvedSamlSettings => ({
  entryPoint: 'https://idp.test/sso',
  issuer: SP,
  idpCert: idp.cert,
  callbackUrl: ACS,
  groupsAttribute: 'groups',
  groupMap: { 'eng-dba': ['dba'], 'eng-all': ['eng'] },
  tokenTtlMs: 60 * 60_000,
  ...over,
});

beforeAll(async () => {
  const [a, b] = await Promise.all([1, 2].map(() => generate([{ name: 'commonName', value: 'idp.test' }], { keySize: 2048 })));
  idp = { cert: a!.cert, key: a!.private };
  stranger = { cert: b!.cert, key: b!.private };
  t = await createTestCore();
  app = await buildApi(t.core);
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});
beforeEach(() => {
  t.core.saml = createSamlLogin(settings(), t.core);
});

/** Starts a sign-in like a browser: the AuthnRequest ID the IdP answers to. */
async function startLogin(): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/auth/saml/login' });
  expect(res.statusCode).toBe(302);
  const location = new URL(res.headers.location as string);
  expect(location.origin + location.pathname).toBe('https://idp.test/sso');
  const request = inflateRawSync(Buffer.from(location.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
  expect(request).toContain(`AssertionConsumerServiceURL="${ACS}"`);
  return /\sID="([^"]+)"/.exec(request)![1]!;
}

interface Shape { inResponseTo: string; name?: string; groups?: string[]; audience?: string; recipient?: string; notOnOrAfter?: Date }

function assertionXml(s: Shape, id = `_a${randomBytes(8).toString('hex')}`): string {
  const now = new Date();
  const exp = (s.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000)).toISOString();
  const nb = new Date(Math.min(now.getTime(), Date.parse(exp)) - 10 * 60_000).toISOString();
  const values = (s.groups ?? ['eng-dba', 'eng-all', 'unmapped']).map((g) => `<saml:AttributeValue>${g}</saml:AttributeValue>`).join('');
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${now.toISOString()}">` +
    `<saml:Issuer>${IDP}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${s.name ?? 'carol'}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${exp}" Recipient="${s.recipient ?? ACS}" InResponseTo="${s.inResponseTo}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${nb}" NotOnOrAfter="${exp}"><saml:AudienceRestriction><saml:Audience>${s.audience ?? SP}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="_s1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement><saml:Attribute Name="groups">${values}</saml:Attribute></saml:AttributeStatement>` +
    `</saml:Assertion>`
  );
}

function sign(xml: string, keys: { cert: string; key: string }, element = 'Assertion'): string {
  const sig = new SignedXml({
    privateKey: keys.key,
    publicCert: keys.cert,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: `/*[local-name(.)='${element}'] | //*[local-name(.)='Response']/*[local-name(.)='${element}']`,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, { location: { reference: `//*[local-name(.)='${element}']/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

function responseXml(inResponseTo: string, assertions: string, extensions = ''): string {
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${randomBytes(8).toString('hex')}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${ACS}" InResponseTo="${inResponseTo}">` +
    `<saml:Issuer>${IDP}</saml:Issuer>${extensions}<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${assertions}</samlp:Response>`
  );
}

/** A response as the IdP would post it: the signed assertion inside an unsigned response. */
const signedResponse = (s: Shape, keys = idp) => responseXml(s.inResponseTo, sign(assertionXml(s), keys));

const post = (xml: string) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/auth/saml/acs',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ SAMLResponse: Buffer.from(xml).toString('base64'), RelayState: '' }).toString(),
  });

describe('SAML sign-in', () => {
  it('signs carol in from a signed assertion: a Warden token with the mapped groups', async () => {
    const res = await post(signedResponse({ inResponseTo: await startLogin() }));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({ user: { name: 'carol', role: 'user', groups: ['dba', 'eng'] }, idpGroups: ['eng-dba', 'eng-all', 'unmapped'] });
    const who = await verifyToken(t.core, body.token);
    expect(who.user).toMatchObject({ name: 'carol', groups: ['dba', 'eng'] });

    // The next login replaces the groups: a group removed at the IdP is gone from the next token.
    const again = await post(signedResponse({ inResponseTo: await startLogin(), groups: ['eng-all'] }));
    expect(again.statusCode, again.body).toBe(200);
    expect((await verifyToken(t.core, again.json().token)).user.groups).toEqual(['eng']);
  });

  it('accepts a signed response around an unsigned assertion', async () => {
    const id = await startLogin();
    const res = await post(sign(responseXml(id, assertionXml({ inResponseTo: id, name: 'dave' })), idp, 'Response'));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user).toMatchObject({ name: 'dave', groups: ['dba', 'eng'] });
  });

  it('refuses a replayed response (its assertion ID is remembered)', async () => {
    const first = signedResponse({ inResponseTo: await startLogin() });
    expect((await post(first)).statusCode).toBe(200);
    const replay = await post(first);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().message).toMatch(/already used to sign in/);
  });

  const refusals: [string, (id: string) => string, RegExp][] = [
    ['an unsigned assertion', (id) => responseXml(id, assertionXml({ inResponseTo: id })), /not signed with the identity provider's certificate/],
    ['an assertion signed by another key', (id) => signedResponse({ inResponseTo: id }, stranger), /not signed with the identity provider's certificate/],
    ['a signed assertion altered afterwards', (id) => signedResponse({ inResponseTo: id }).replace('>carol<', '>mallory<'), /not signed with the identity provider's certificate/],
    ['an expired assertion', (id) => signedResponse({ inResponseTo: id, notOnOrAfter: new Date(Date.now() - 5 * 60_000) }), /outside its validity window/],
    ['an assertion for another audience', (id) => signedResponse({ inResponseTo: id, audience: 'https://other-sp.test' }), /not meant for this gateway/],
    ['an assertion for another ACS', (id) => signedResponse({ inResponseTo: id, recipient: 'https://other-sp.test/acs' }), /addressed to https:\/\/other-sp\.test\/acs/],
    ['an answer to a sign-in this gateway never started', () => signedResponse({ inResponseTo: '_never-started' }), /does not answer a sign-in this gateway started/],
    // XML signature wrapping: the genuine signed assertion kept for the signature check, a forged one for the SP to read.
    ['a wrapped response (forged sibling assertion)', (id) => responseXml(id, assertionXml({ inResponseTo: id, name: 'mallory', groups: ['eng-dba'] }) + sign(assertionXml({ inResponseTo: id }), idp)), /more than one assertion/],
    ['a wrapped response (genuine assertion hidden in Extensions)', (id) => {
      const genuine = sign(assertionXml({ inResponseTo: id }, '_same'), idp);
      return responseXml(id, assertionXml({ inResponseTo: id, name: 'mallory' }, '_same'), `<samlp:Extensions>${genuine}</samlp:Extensions>`);
    }, /not signed with the identity provider's certificate/],
  ];
  for (const [what, make, message] of refusals) {
    it(`refuses ${what}`, async () => {
      const res = await post(make(await startLogin()));
      expect(res.statusCode, res.body).toBe(401);
      expect(res.json()).toMatchObject({ error: 'access_denied', message: expect.stringMatching(message) });
      expect(await t.core.users.byName('mallory')).toBeUndefined();
    });
  }

  it('refuses a body that is not a SAML response with 400', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/saml/acs', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'SAMLResponse=%3Cxml%3E' });
    expect(res.statusCode).toBe(400);
  });

  it('checks the time against the injected clock too', async () => {
    const clock = manualClock(new Date(Date.now() + 24 * 60 * 60_000));
    const saml = createSamlLogin(settings(), { ...t.core, clock });
    const url = new URL(await saml.loginUrl());
    const id = /\sID="([^"]+)"/.exec(inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8'))![1]!;
    const xml = signedResponse({ inResponseTo: id });
    await expect(saml.acs(Buffer.from(xml).toString('base64'))).rejects.toThrow(/expired at/);
  });

  it('answers 404 with what to configure when SAML is off', async () => {
    delete t.core.saml;
    const res = await app.inject({ method: 'GET', url: '/api/v1/auth/saml/login' });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toMatch(/identity\.saml/);
  });
});

describe('identity.saml config', () => {
  it('needs exactly one of idpCert and idpCertFile, and a PEM', async () => {
    const base = { entryPoint: 'https://idp.test/sso', issuer: SP, callbackUrl: ACS };
    expect(() => validateConfig({ identity: { saml: base } }, 'test')).toThrow(/exactly one of identity\.saml\.idpCert/);
    const cfg = validateConfig({ identity: { saml: { ...base, idpCert: 'not a pem' } } }, 'test');
    expect(cfg.identity.saml?.groupsAttribute).toBe('groups');
    await expect(samlFromConfig(cfg.identity.saml!, t.core)).rejects.toThrow(WardenError);
    await expect(samlFromConfig({ ...cfg.identity.saml!, idpCert: undefined, idpCertFile: '/nonexistent/idp.pem' }, t.core)).rejects.toThrow(/cannot read identity\.saml\.idpCertFile/);
  });
});
