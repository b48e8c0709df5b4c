import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FileEvent, RecordingEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';
import { scp } from './file-clients.ts';

// Legacy scp (`scp -O`, the rcp protocol over exec) under the same file rules as SFTP.
const area = `/tmp/warden-scp-${process.pid}`;
const rules = [
  { id: 'test:no-secrets', match: { files: ['/etc/shadow', '*/secret*'], direction: 'download' }, effect: 'block', message: 'secrets stay on the server' },
  { id: 'test:uploads-in-area', match: { files: [`!${area}/*`], direction: 'upload' }, effect: 'block', message: `uploads go to ${area}` },
  { id: 'test:no-exe-uploads', match: { files: ['*.exe'], direction: 'upload' }, effect: 'block', message: 'no executables' },
];

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const files = (events: RecordingEvent[]) => events.filter((e): e is FileEvent => e.type === 'file');

let sshd: TestSshd;
let t: TestGatewayWithMysql;
let token: string;
let local: string;

beforeAll(async () => {
  sshd = await startTestSshd();
  t = await startTestGateway({ rules });
  token = await t.user('alice');
  await t.connection('box', { type: 'ssh', host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password });
  mkdirSync(area, { recursive: true });
  chmodSync(area, 0o777);
  local = mkdtempSync(join(tmpdir(), 'warden-scp-local-'));
});
afterAll(async () => {
  await t?.stop();
  await sshd?.stop();
  rmSync(area, { recursive: true, force: true });
  if (local) rmSync(local, { recursive: true, force: true });
});

describe('scp -O (legacy protocol) through the gateway', () => {
  test('an upload arrives byte-identical and is recorded with path, size and SHA-256', async () => {
    const data = randomBytes(500_001);
    writeFileSync(join(local, 'up.bin'), data);
    const r = await scp(t.sshPort, 'alice@box', token, [join(local, 'up.bin'), `127.0.0.1:${area}/`], true);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(`${area}/up.bin`).equals(data)).toBe(true);
    const { events } = await endedSession(t, 'alice', 'box');
    expect(files(events)).toEqual([
      expect.objectContaining({ via: 'scp', op: 'upload', direction: 'upload', path: `${area}/up.bin`, bytes: data.length, sequential: true, sha256: sha256(data), verdict: { effect: 'allow', rules: ['default:file-allow'] } }),
    ]);
  });

  test('a download arrives byte-identical and is recorded', async () => {
    const data = randomBytes(250_000);
    writeFileSync(`${area}/down.bin`, data);
    const r = await scp(t.sshPort, 'alice@box', token, [`127.0.0.1:${area}/down.bin`, join(local, 'down.bin')], true);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(local, 'down.bin')).equals(data)).toBe(true);
    const { events } = await endedSession(t, 'alice', 'box');
    expect(files(events)).toEqual([expect.objectContaining({ via: 'scp', op: 'download', path: `${area}/down.bin`, bytes: data.length, sha256: sha256(data) })]);
  });

  test('a denied download leaves nothing on the client, says why, and is recorded as blocked', async () => {
    writeFileSync(`${area}/secret.txt`, 'the launch codes\n');
    const dest = join(local, 'secret.txt');
    const r = await scp(t.sshPort, 'alice@box', token, [`127.0.0.1:${area}/secret.txt`, dest], true);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('secrets stay on the server');
    expect(existsSync(dest)).toBe(false);
    const { events } = await endedSession(t, 'alice', 'box');
    expect(files(events)).toEqual([
      expect.objectContaining({ op: 'download', path: `${area}/secret.txt`, verdict: { effect: 'block', rules: ['test:no-secrets'] }, error: expect.objectContaining({ code: 'blocked' }) }),
    ]);
  });

  test('a denied upload leaves the target unchanged and says why', async () => {
    writeFileSync(join(local, 'evil.txt'), 'not welcome\n');
    const dest = `/var/tmp/warden-scp-evil-${process.pid}.txt`;
    const r = await scp(t.sshPort, 'alice@box', token, [join(local, 'evil.txt'), `127.0.0.1:${dest}`], true);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`uploads go to ${area}`);
    expect(existsSync(dest)).toBe(false);
    const { events } = await endedSession(t, 'alice', 'box');
    expect(files(events)).toEqual([expect.objectContaining({ op: 'upload', path: dest, verdict: { effect: 'block', rules: ['test:uploads-in-area'] } })]);
  });

  test('a recursive upload judges each file: the refused one is skipped, the others arrive', async () => {
    const tree = join(local, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'a.txt'), 'a\n');
    writeFileSync(join(tree, 'sub', 'b.txt'), 'b\n');
    writeFileSync(join(tree, 'sub', 'tool.exe'), 'MZ\n');
    const r = await scp(t.sshPort, 'alice@box', token, ['-r', tree, `127.0.0.1:${area}/`], true);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no executables');
    expect(readFileSync(`${area}/tree/a.txt`, 'utf8')).toBe('a\n');
    expect(readFileSync(`${area}/tree/sub/b.txt`, 'utf8')).toBe('b\n');
    expect(existsSync(`${area}/tree/sub/tool.exe`)).toBe(false);
    const { events } = await endedSession(t, 'alice', 'box');
    const ops = files(events).map((e) => [e.op, e.path, e.verdict.effect]);
    expect(ops).toEqual(
      expect.arrayContaining([
        ['mkdir', `${area}/tree`, 'allow'],
        ['upload', `${area}/tree/a.txt`, 'allow'],
        ['mkdir', `${area}/tree/sub`, 'allow'],
        ['upload', `${area}/tree/sub/b.txt`, 'allow'],
        ['upload', `${area}/tree/sub/tool.exe`, 'block'],
      ]),
    );
  });

  test('a recursive download judges each file: the secret stays behind', async () => {
    mkdirSync(`${area}/docs`, { recursive: true });
    writeFileSync(`${area}/docs/readme.txt`, 'hello\n');
    writeFileSync(`${area}/docs/secret-plan.txt`, 'plan\n');
    const r = await scp(t.sshPort, 'alice@box', token, ['-r', `127.0.0.1:${area}/docs`, join(local, 'docs')], true);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('secrets stay on the server');
    expect(readFileSync(join(local, 'docs', 'readme.txt'), 'utf8')).toBe('hello\n');
    expect(existsSync(join(local, 'docs', 'secret-plan.txt'))).toBe(false);
    const { events } = await endedSession(t, 'alice', 'box');
    expect(files(events).map((e) => [e.op, e.path, e.verdict.effect])).toEqual(
      expect.arrayContaining([
        ['list', `${area}/docs`, 'allow'],
        ['download', `${area}/docs/readme.txt`, 'allow'],
        ['download', `${area}/docs/secret-plan.txt`, 'block'],
      ]),
    );
  });

  test('a client that vanishes mid-upload ends the session with a recorded reason and an interrupted transfer', async () => {
    // A sparse 2 GiB local file: far more than can pass before the client is killed.
    const big = join(local, 'big.bin');
    writeFileSync(big, '');
    truncateSync(big, 2 ** 31);
    const dest = `${area}/big.bin`;
    let child: ChildProcess | undefined;
    const run = scp(t.sshPort, 'alice@box', token, [big, `127.0.0.1:${dest}`], true, (p) => (child = p));
    // Killed once bytes are arriving on the target (a behaviour, not a time).
    while (!(existsSync(dest) && statSync(dest).size > 0)) await new Promise((r) => setTimeout(r, 20));
    process.kill(-child!.pid!, 'SIGKILL');
    await run;
    const { session, events } = await endedSession(t, 'alice', 'box');
    expect(session.endReason).toBe('client_closed');
    const upload = files(events).find((e) => e.op === 'upload')!;
    expect(upload).toMatchObject({ via: 'scp', path: dest, error: { code: 'interrupted' } });
    expect(upload.bytes).toBeLessThan(2 ** 31);
    expect(events.at(-1)).toMatchObject({ type: 'session_end', reason: 'client_closed' });
  });
});
