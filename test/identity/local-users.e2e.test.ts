import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTokenFor, machineGroup } from '../../src/core/identity/machine.ts';
import { newId } from '../../src/core/ids.ts';
import { createSamlLogin } from '../../src/core/identity/saml/index.ts';
import { issueToken } from '../../src/core/identity/tokens.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { psql } from '../helpers/psql.ts';
import { newIdpKeys, requestIdOf, signedResponse } from './saml-idp.ts';

// `identity.localUsers: false` on a real gateway: people's admin-issued tokens are refused by psql
// and by the API, their IdP sign-ins (SAML here) work, and machines and admins keep their tokens.
const ACS = 'https://warden.test/api/v1/auth/saml/acs';
const SP = 'https://warden.test/saml';
const IDP = 'https://idp.test/saml';

let t: TestGateway;
let admin: string;
let personToken: string;
let machineToken: string;

beforeAll(async () => {
  t = await startTestGateway({ config: { identity: { localUsers: false } } });
  const core = t.gw.core;
  await t.connection('pgmain');
  const root = await core.users.create({ id: newId('usr'), name: 'root', role: 'admin', groups: [], createdAt: new Date() });
  admin = (await issueToken(core, root.id, { name: 'break-glass' })).token;
  // A person made before local users were switched off, with an admin-issued token.
  const dora = await core.users.create({ id: newId('usr'), name: 'dora', role: 'user', groups: ['dba'], createdAt: new Date() });
  personToken = (await issueToken(core, dora.id, { name: 'laptop' })).token;
  const ci = await core.users.create({ id: newId('usr'), name: 'ci-job', role: 'user', groups: [machineGroup], createdAt: new Date() });
  machineToken = (await issueTokenFor(core, ci, { name: 'ci', kind: 'machine' })).token;
});
afterAll(() => t?.stop());

const query = (user: string, token: string) =>
  psql([`postgresql://${user}:${encodeURIComponent(token)}@127.0.0.1:${t.pgPort}/pgmain?sslmode=disable`, '-At', '-v', 'ON_ERROR_STOP=1', '-c', 'select 41 + 1']);
const api = (method: string, path: string, token: string, body?: unknown) =>
  fetch(`${t.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('identity.localUsers: false', () => {
  it("refuses a person's admin-issued token in psql and the API, saying where to sign in", async () => {
    const r = await query('dora', personToken);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/local user sign-in is switched off/);
    const res = await api('GET', '/api/v1/whoami', personToken);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toMatch(/identity provider/);
  });

  it('keeps machine tokens and the admin (break-glass) working', async () => {
    const r = await query('ci-job', machineToken);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('42');
    expect((await api('GET', '/api/v1/whoami', admin)).status).toBe(200);
  });

  it('refuses creating people and issuing them tokens, but not machines', async () => {
    const person = await api('POST', '/api/v1/users', admin, { name: 'erin' });
    expect(person.status).toBe(400);
    expect(((await person.json()) as { message: string }).message).toMatch(/local user sign-in is switched off.*machine/);
    expect((await api('POST', '/api/v1/users/dora/tokens', admin, { name: 'again' })).status).toBe(400);
    expect((await api('POST', '/api/v1/users', admin, { name: 'deploy-bot', groups: [machineGroup] })).status).toBe(201);
    expect((await api('POST', '/api/v1/users', admin, { name: 'audrey', role: 'auditor' })).status).toBe(201);
    const issued = await api('POST', '/api/v1/users/deploy-bot/tokens', admin, { name: 'ci', machine: true });
    expect(issued.status).toBe(201);
  });

  it('lets the same person in through their IdP, and records the refusals in the audit log', async () => {
    const idp = await newIdpKeys();
    const saml = createSamlLogin(
      { entryPoint: 'https://idp.test/sso', issuer: SP, idpCert: idp.cert, idpIssuer: IDP, callbackUrl: ACS, groupsAttribute: 'groups', groupMap: { 'eng-dba': ['dba'] }, tokenTtlMs: 3_600_000 },
      t.gw.core,
    );
    const id = requestIdOf(await saml.loginUrl());
    const { token } = await saml.acs(signedResponse({ inResponseTo: id, acs: ACS, audience: SP, issuer: IDP, name: 'dora' }, idp));
    const r = await query('dora', token);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('42');

    const events = (await (await api('GET', '/api/v1/audit?type=login.token&actor=dora', admin)).json()) as { outcome: string; detail: { reason: string } }[];
    expect(events.some((e) => e.outcome === 'failure' && e.detail.reason === 'local_user')).toBe(true);
  });
});
