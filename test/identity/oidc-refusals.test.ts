import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, systemClock, type Clock } from '../../src/core/clock.ts';
import { WardenError } from '../../src/core/errors.ts';
import { createOidcLogin, oidcFromConfig, type OidcSettings } from '../../src/core/identity/oidc/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { freePort } from '../helpers/ports.ts';
import { confirmDeviceCode } from './browser.ts';
import { startTestIdp, type TestIdp } from './idp.ts';

// What the gateway refuses from an identity provider, against a real one. Each case runs a real
// device flow; the ID token is altered in flight (where needed) by a fetch wrapper.
let idp: TestIdp;
let dir: string;
let store: Store;

beforeAll(async () => {
  idp = await startTestIdp();
  idp.accounts.set('carol', { groups: ['eng-dba'] });
});
afterAll(() => idp?.stop());
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-oidc-'));
  store = await openStore({ url: '', sqlitePath: join(dir, 'warden.db'), pgSchema: 'unused' });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const settings = (over: Partial<OidcSettings> = {}): OidcSettings => ({
  issuer: idp.issuer,
  clientId: 'warden',
  clientSecretEnv: 'WARDEN_OIDC_SECRET',
  scope: 'openid profile groups',
  groupsClaim: 'groups',
  usernameClaim: 'preferred_username',
  groupMap: { 'eng-dba': ['dba'] },
  tokenTtlMs: 60 * 60_000,
  groupsFrom: 'idToken',
  refreshGroupsEvery: 0,
  webSessionTtlMs: 60 * 60_000,
  ...over,
});

type IdTokenEdit = (idToken: string) => string;

function login(opts: { clock?: Clock; editIdToken?: IdTokenEdit; secret?: string } = {}) {
  const edit = opts.editIdToken;
  const fetchVia = async (url: string, init: RequestInit): Promise<Response> => {
    const res = await fetch(url, init);
    if (edit === undefined || !url.endsWith('/token') || res.status !== 200) return res;
    const body = (await res.json()) as { id_token?: string };
    if (body.id_token !== undefined) body.id_token = edit(body.id_token);
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return oidcFromConfig(settings(), { WARDEN_OIDC_SECRET: opts.secret ?? 'test-secret' }, {
    users: store.users,
    tokens: store.tokens,
    clock: opts.clock ?? systemClock,
    fetch: fetchVia as never,
  });
}

/** A whole device flow as carol; resolves to the poll's result or rejects with its error. */
async function runFlow(l: ReturnType<typeof login>) {
  const d = await l.startDevice();
  await confirmDeviceCode(d.verificationUri, { user_code: d.userCode, login: 'carol' });
  for (let i = 0; i < 50; i++) {
    const r = await l.pollDevice(d.deviceCode);
    if (r.status === 'complete') return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('never completed');
}

async function refusal(p: Promise<unknown>): Promise<WardenError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WardenError);
  return err as WardenError;
}

const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');
const parts = (jwt: string) => jwt.split('.') as [string, string, string];
const payloadOf = (jwt: string) => JSON.parse(Buffer.from(parts(jwt)[1], 'base64url').toString()) as Record<string, unknown>;

describe('OIDC refusals', () => {
  it('accepts an untouched ID token with a confidential client (the control case)', async () => {
    const r = await runFlow(login());
    expect(r.user).toMatchObject({ name: 'carol', groups: ['dba'] });
    expect(r.expiresAt.getTime() - Date.now()).toBeGreaterThan(0);
  });

  it('refuses a tampered signature', async () => {
    const flip: IdTokenEdit = (jwt) => {
      const [h, p, s] = parts(jwt);
      return `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    };
    const err = await refusal(runFlow(login({ editIdToken: flip })));
    expect(err.kind).toBe('access_denied');
    expect(err.message).toMatch(/ID token failed validation \(JWT signature verification failed\)/);
  });

  it('refuses a tampered payload (groups widened) under the original signature', async () => {
    const widen: IdTokenEdit = (jwt) => {
      const [h, , s] = parts(jwt);
      return `${h}.${b64({ ...payloadOf(jwt), groups: ['eng-dba', 'admins'] })}.${s}`;
    };
    expect(await refusal(runFlow(login({ editIdToken: widen })))).toMatchObject({ kind: 'access_denied', message: expect.stringMatching(/signature verification failed/) });
  });

  it('refuses alg none and a token signed by a key the IdP does not publish', async () => {
    const none: IdTokenEdit = (jwt) => `${b64({ alg: 'none', typ: 'JWT' })}.${parts(jwt)[1]}.`;
    expect(await refusal(runFlow(login({ editIdToken: none })))).toMatchObject({ kind: 'access_denied', message: expect.stringMatching(/"alg"/) });

    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged: IdTokenEdit = (jwt) => {
      const head = JSON.parse(Buffer.from(parts(jwt)[0], 'base64url').toString()) as Record<string, unknown>;
      const input = `${b64({ ...head, alg: 'RS256' })}.${parts(jwt)[1]}`;
      return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    };
    expect(await refusal(runFlow(login({ editIdToken: forged })))).toMatchObject({ kind: 'access_denied', message: expect.stringMatching(/signature verification failed/) });
    const unknownKid: IdTokenEdit = (jwt) => {
      const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'not-published' })}.${parts(jwt)[1]}`;
      return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    };
    expect(await refusal(runFlow(login({ editIdToken: unknownKid })))).toMatchObject({ kind: 'access_denied', message: expect.stringMatching(/key/i) });
    expect(await store.users.byName('carol')).toBeUndefined();
  });

  it('refuses an expired ID token (checked on the injected clock)', async () => {
    const later = manualClock(new Date(Date.now() + 2 * 60 * 60_000));
    const err = await refusal(runFlow(login({ clock: later })));
    expect(err.kind).toBe('access_denied');
    expect(err.message).toMatch(/ID token failed validation .*expiration is past/);
  });

  it('says clearly when the client secret is wrong, missing, or the IdP is down', async () => {
    const wrong = await refusal(login({ secret: 'wrong' }).startDevice());
    expect(wrong.kind).toBe('upstream_unavailable');
    expect(wrong.message).toMatch(/refused the gateway's client/);

    expect(() => oidcFromConfig(settings(), {}, { users: store.users, tokens: store.tokens, clock: systemClock })).toThrow(/WARDEN_OIDC_SECRET/);

    const dead = createOidcLogin(settings({ issuer: `http://127.0.0.1:${await freePort()}` }), { users: store.users, tokens: store.tokens, clock: systemClock, clientSecret: 'x' });
    const down = await refusal(dead.startDevice());
    expect(down.kind).toBe('upstream_unavailable');
    expect(down.message).toMatch(/cannot reach the identity provider/);
  });

  it('refuses a plain-http issuer that is not on this machine', async () => {
    const remote = createOidcLogin(settings({ issuer: 'http://idp.example.com' }), { users: store.users, tokens: store.tokens, clock: systemClock, clientSecret: 'x' });
    expect((await refusal(remote.startDevice())).message).toMatch(/must be https/);
  });
});
