import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';
import { makeKey } from './key-client.ts';
import { sshExec } from './ssh-client.ts';

const run = promisify(execFile);

// The gateway logs into the target with a vaulted private key (the target's sshd accepts
// only those keys for its user), and checks the target's host key against the keys an
// admin configured on the connection.
let sshd: TestSshd;
let t: TestGatewayWithMysql;
let token: string;
let admin: string;
type Key = Awaited<ReturnType<typeof makeKey>>;
let plain: Key;
let locked: Key;
let unrelated: Key;

const createConnection = (body: Record<string, unknown>) =>
  fetch(`${t.apiUrl}/api/v1/connections`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'ssh', host: '127.0.0.1', port: sshd.port, username: sshd.user, tls: 'disable', ...body }),
  });

beforeAll(async () => {
  [plain, locked, unrelated] = await Promise.all([makeKey(), makeKey('rsa', 'open sesame'), makeKey()]);
  [sshd, t] = await Promise.all([startTestSshd({ authorizedKey: `${plain.pub}\n${locked.pub}` }), startTestGateway()]);
  token = await t.user('alice');
  admin = await t.user('root');
  await t.gw.core.users.update((await t.gw.core.users.byName('root'))!.id, { role: 'admin' });
});
afterAll(async () => {
  await t?.stop();
  await sshd?.stop();
  for (const k of [plain, locked, unrelated]) if (k) rmSync(k.dir, { recursive: true, force: true });
});

describe('SSH targets reached with a vaulted private key', () => {
  test('an unencrypted key logs the gateway in; the API never returns it', async () => {
    const res = await createConnection({ name: 'key-box', privateKey: readFileSync(plain.file, 'utf8') });
    expect(res.status).toBe(201);
    const body = await res.text();
    expect(body).not.toContain('PRIVATE KEY');
    expect(JSON.parse(body)).toMatchObject({ hasSecret: true, hostKeys: [] });
    const r = await sshExec(t.sshPort, 'alice@key-box', token, 'whoami');
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: `${sshd.user}\n` });
  });

  test('a passphrase-protected key works with its passphrase and is refused at the door without it', async () => {
    const key = readFileSync(locked.file, 'utf8');
    const wrong = await createConnection({ name: 'locked-bad', privateKey: key, passphrase: 'nope' });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { message: string }).message).toContain('cannot be read');
    expect((await createConnection({ name: 'locked-box', privateKey: key, passphrase: 'open sesame' })).status).toBe(201);
    const r = await sshExec(t.sshPort, 'alice@locked-box', token, 'echo locked-ok');
    expect(r).toMatchObject({ code: 0, stdout: 'locked-ok\n' });
  });

  test('a key the target does not accept ends the exec with a clear message, never the key', async () => {
    expect((await createConnection({ name: 'wrong-key', privateKey: readFileSync(unrelated.file, 'utf8') })).status).toBe(201);
    const r = await sshExec(t.sshPort, 'alice@wrong-key', token, 'echo should-not-run');
    expect(r.code).toBe(255);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("refused the gateway's login");
    expect(r.stderr).not.toContain('PRIVATE KEY');
  });

  test('bad credentials and host keys are refused when stored', async () => {
    const pg = await fetch(`${t.apiUrl}/api/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'pg-key', type: 'postgres', host: '127.0.0.1', port: 5432, username: 'x', privateKey: readFileSync(plain.file, 'utf8') }),
    });
    expect(pg.status).toBe(400);
    expect((await createConnection({ name: 'pub-as-priv', privateKey: plain.pub })).status).toBe(400);
    expect((await createConnection({ name: 'both', privateKey: readFileSync(plain.file, 'utf8'), password: 'x' })).status).toBe(400);
    expect((await createConnection({ name: 'bad-host-key', password: sshd.password, hostKeys: ['not a key'] })).status).toBe(400);
  });
});

describe('configured target host keys', () => {
  test('the target\'s key, given as a public key line or as its SHA256 fingerprint, connects', async () => {
    expect((await createConnection({ name: 'pinned-line', password: sshd.password, hostKeys: [unrelated.pub, sshd.hostKeyPublic] })).status).toBe(201);
    const byLine = await sshExec(t.sshPort, 'alice@pinned-line', token, 'echo line-ok');
    expect(byLine).toMatchObject({ code: 0, stdout: 'line-ok\n' });

    const fingerprint = await fingerprintOf(sshd.hostKeyPublic);
    expect(fingerprint).toMatch(/^SHA256:/);
    expect((await createConnection({ name: 'pinned-fp', password: sshd.password, hostKeys: [fingerprint] })).status).toBe(201);
    const byFingerprint = await sshExec(t.sshPort, 'alice@pinned-fp', token, 'echo fp-ok');
    expect(byFingerprint).toMatchObject({ code: 0, stdout: 'fp-ok\n' });
  });

  test('a target whose key is not among the configured ones is refused loudly, recorded, and not pinned', async () => {
    expect((await createConnection({ name: 'impostor', password: sshd.password, hostKeys: [unrelated.pub] })).status).toBe(201);
    const pinFile = `${t.dataDir}/ssh/known_targets.json`;
    const pinsBefore = readPins(pinFile);
    const r = await sshExec(t.sshPort, 'alice@impostor', token, 'echo should-not-run');
    expect(r.code).toBe(255);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('does NOT MATCH its configured host keys');
    expect(r.stderr).toContain(await fingerprintOf(sshd.hostKeyPublic));
    const { events } = await endedSession(t, 'alice', 'impostor');
    expect(events).toContainEqual(expect.objectContaining({ type: 'notice', message: expect.stringContaining('does NOT MATCH') }));
    // A configured key replaces trust on first use: the pin file is left as it was.
    expect(readPins(pinFile)).toEqual(pinsBefore);
  });
});

async function fingerprintOf(publicKeyLine: string): Promise<string> {
  const dir = (await run('mktemp', ['-d'])).stdout.trim();
  try {
    await run('sh', ['-c', `printf '%s\\n' "$1" > "$2/k.pub"`, 'sh', publicKeyLine, dir]);
    const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${dir}/k.pub`]);
    return stdout.split(' ')[1]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readPins(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}
