import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/core/audit/index.ts';
import { systemClock } from '../../src/core/clock.ts';
import { createSamlLogin, type ResolvedSamlSettings, type SamlDeps, type SamlLogin } from '../../src/core/identity/saml/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { storeBackends } from '../../src/store/testing.ts';
import { newIdpKeys, requestIdOf, signedResponse, type IdpKeys } from './saml-idp.ts';

// Two SAML SPs, each on its own handle to one store — two gateway replicas as far as SAML state goes.
const ACS = 'https://warden.test/api/v1/auth/saml/acs';
const SP = 'https://warden.test/saml';
const IDP = 'https://idp.test/saml';

let idp: IdpKeys;
beforeAll(async () => {
  idp = await newIdpKeys();
});

const settings = (): ResolvedSamlSettings => ({
  entryPoint: 'https://idp.test/sso',
  issuer: SP,
  idpCert: idp.cert,
  idpIssuer: IDP,
  callbackUrl: ACS,
  groupsAttribute: 'groups',
  groupMap: { 'eng-dba': ['dba'] },
  tokenTtlMs: 60 * 60_000,
});
const deps = (store: Store): SamlDeps => ({
  users: store.users,
  tokens: store.tokens,
  clock: systemClock,
  samlState: store.saml,
  audit: createAuditLog({ repo: store.audit, clock: systemClock, log: pino({ level: 'silent' }) }),
});
const response = (inResponseTo: string, over: { issuer?: string; name?: string } = {}) =>
  signedResponse({ inResponseTo, acs: ACS, audience: SP, issuer: over.issuer ?? IDP, ...(over.name ? { name: over.name } : {}) }, idp);

describe.each(storeBackends)('SAML state in the $name store', (backend) => {
  let cleanup: () => Promise<void>;
  let a: Store;
  let b: Store;
  let spA: SamlLogin;
  let spB: SamlLogin;
  beforeAll(async () => {
    const s = await backend.setup();
    cleanup = s.cleanup;
    a = await openStore(s.opts);
    b = await openStore(s.opts);
    spA = createSamlLogin(settings(), deps(a));
    spB = createSamlLogin(settings(), deps(b));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await cleanup?.();
  });

  it('accepts an answer on the replica that did not send the request, and refuses its replay on the other', async () => {
    const id = requestIdOf(await spA.loginUrl());
    const posted = response(id);
    const done = await spB.acs(posted);
    expect(done.user).toMatchObject({ name: 'carol', groups: ['dba'] });
    await expect(spA.acs(posted)).rejects.toThrow(/already used to sign in/);
    await expect(spB.acs(posted)).rejects.toThrow(/already used to sign in/);
    // The request was answered: a fresh assertion naming it is no longer an answer to anything.
    await expect(spA.acs(response(id))).rejects.toThrow(/does not answer a sign-in this gateway started/);
  });

  it('refuses an answer to a request neither replica sent', async () => {
    await expect(spB.acs(response('_sent-by-nobody'))).rejects.toThrow(/does not answer a sign-in this gateway started/);
  });

  it('lets exactly one of two replicas racing with the same response sign in', async () => {
    const id = requestIdOf(await spB.loginUrl());
    const posted = response(id, { name: 'erin' });
    const results = await Promise.allSettled([spA.acs(posted), spB.acs(posted)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
  });

  it('refuses an assertion from another issuer than the metadata names, however well signed', async () => {
    const id = requestIdOf(await spA.loginUrl());
    await expect(spA.acs(response(id, { issuer: 'https://evil.test/saml', name: 'mallory' }))).rejects.toThrow(/issued by "https:\/\/evil\.test\/saml"/);
    expect(await a.users.byName('mallory')).toBeUndefined();
  });

  it('keeps a used assertion ID until it expires, atomically', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const until = new Date(now.getTime() + 60_000);
    expect(await a.saml.useAssertion('_x1', now, until)).toBe(true);
    expect(await b.saml.assertionUsed('_x1', now)).toBe(true);
    expect(await b.saml.useAssertion('_x1', now, until)).toBe(false);
    expect(await b.saml.assertionUsed('_x1', until)).toBe(false);
    // Once expired, the ID may be stored again (the time checks refuse such an assertion anyway).
    expect(await b.saml.useAssertion('_x1', until, new Date(until.getTime() + 1000))).toBe(true);
    await a.saml.saveRequest('_r1', now, until);
    expect(await b.saml.findRequest('_r1', now)).toEqual(now);
    expect(await b.saml.findRequest('_r1', until)).toBeUndefined();
    await b.saml.removeRequest('_r1');
    expect(await a.saml.findRequest('_r1', now)).toBeUndefined();
  });
});
