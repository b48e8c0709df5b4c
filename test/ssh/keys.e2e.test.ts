import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';
import { makeKey, sshWithKey } from './key-client.ts';
import { sshExec } from './ssh-client.ts';

// Public-key login to the gateway: the real ssh client signs with a key the
// user registered through the API; the gateway checks the signature and that
// the key belongs to the user the login names.
let sshd: TestSshd;
let t: TestGatewayWithMysql;
let alice: string;
let bob: string;
let admin: string;
type Key = Awaited<ReturnType<typeof makeKey>>;
let aliceKey: Key;
let aliceRsa: Key;
let bobKey: Key;
let strayKey: Key;

const api = (token: string, method: string, path: string, body?: unknown) =>
  fetch(`${t.apiUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

beforeAll(async () => {
  [sshd, t, aliceKey, aliceRsa, bobKey, strayKey] = await Promise.all([startTestSshd(), startTestGateway(), makeKey(), makeKey('rsa'), makeKey(), makeKey()]);
  alice = await t.user('alice');
  bob = await t.user('bob');
  admin = await t.user('root');
  await t.gw.core.users.update((await t.gw.core.users.byName('root'))!.id, { role: 'admin' });
  await t.connection('box', { type: 'ssh', host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password });
});
afterAll(async () => {
  await t?.stop();
  await sshd?.stop();
  for (const k of [aliceKey, aliceRsa, bobKey, strayKey]) if (k) rmSync(k.dir, { recursive: true, force: true });
});

describe('ssh public-key login through the gateway', () => {
  test('a user registers their own keys; ssh -i logs in with each (ed25519, rsa) and the session is theirs', async () => {
    const res = await api(alice, 'POST', '/users/alice/ssh-keys', { publicKey: aliceKey.pub, name: 'laptop' });
    expect(res.status).toBe(201);
    const view = (await res.json()) as { fingerprint: string; name: string };
    expect(view).toMatchObject({ name: 'laptop', fingerprint: expect.stringMatching(/^SHA256:/) });
    expect((await api(alice, 'POST', '/users/alice/ssh-keys', { publicKey: aliceRsa.pub })).status).toBe(201);

    const r = await sshWithKey(t.sshPort, 'alice@box', aliceKey.file, 'whoami');
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: `${sshd.user}\n` });
    const { session } = await endedSession(t, 'alice', 'box');
    expect(session.protocol).toBe('ssh');

    const rsa = await sshWithKey(t.sshPort, 'alice@box', aliceRsa.file, 'echo rsa-ok');
    expect(rsa).toMatchObject({ code: 0, stdout: 'rsa-ok\n' });
  });

  test('a key nobody registered is refused, and so is a registered key used as another user', async () => {
    const stray = await sshWithKey(t.sshPort, 'alice@box', strayKey.file, 'echo should-not-run');
    expect(stray.code).toBe(255);
    expect(stray.stdout).toBe('');
    expect(stray.stderr).toContain('Permission denied');

    expect((await api(bob, 'POST', '/users/bob/ssh-keys', { publicKey: bobKey.pub })).status).toBe(201);
    const asAlice = await sshWithKey(t.sshPort, 'alice@box', bobKey.file, 'echo should-not-run');
    expect(asAlice.code).toBe(255);
    expect(asAlice.stdout).toBe('');
    const asBob = await sshWithKey(t.sshPort, 'bob@box', bobKey.file, 'echo bob-ok');
    expect(asBob).toMatchObject({ code: 0, stdout: 'bob-ok\n' });
  });

  test('a key belongs to one user; only its owner or an admin manages a user\'s keys', async () => {
    // Bob cannot claim Alice's key, nor add or list keys for Alice.
    expect((await api(bob, 'POST', '/users/bob/ssh-keys', { publicKey: aliceKey.pub })).status).toBe(400);
    expect((await api(bob, 'POST', '/users/alice/ssh-keys', { publicKey: strayKey.pub })).status).toBe(403);
    expect((await api(bob, 'GET', '/users/alice/ssh-keys')).status).toBe(403);
    // A private key pasted by mistake is refused and not stored.
    const priv = await api(alice, 'POST', '/users/alice/ssh-keys', { publicKey: 'ssh-ed25519 not-base64!!' });
    expect(priv.status).toBe(400);
    const listed = (await (await api(admin, 'GET', '/users/alice/ssh-keys')).json()) as { fingerprint: string }[];
    expect(listed).toHaveLength(2);
  });

  test('a removed key no longer logs in; the token still does', async () => {
    const [laptop] = (await (await api(alice, 'GET', '/users/alice/ssh-keys')).json()) as { id: string }[];
    expect((await api(alice, 'DELETE', `/users/alice/ssh-keys/${laptop!.id}`)).status).toBe(204);
    expect((await api(alice, 'DELETE', `/users/alice/ssh-keys/${laptop!.id}`)).status).toBe(404);
    const r = await sshWithKey(t.sshPort, 'alice@box', aliceKey.file, 'echo should-not-run');
    expect(r.code).toBe(255);
    expect(r.stdout).toBe('');
    const byToken = await sshExec(t.sshPort, 'alice@box', alice, 'echo token-ok');
    expect(byToken).toMatchObject({ code: 0, stdout: 'token-ok\n' });
  });

  test('a disabled user\'s key is refused', async () => {
    const bobId = (await t.gw.core.users.byName('bob'))!.id;
    await t.gw.core.users.update(bobId, { disabledAt: new Date() });
    try {
      const r = await sshWithKey(t.sshPort, 'bob@box', bobKey.file, 'echo should-not-run');
      expect(r.code).toBe(255);
      expect(r.stdout).toBe('');
    } finally {
      await t.gw.core.users.update(bobId, { disabledAt: null });
    }
  });
});
