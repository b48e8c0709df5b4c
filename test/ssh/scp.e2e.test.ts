import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { endedSession } from '../helpers/gateway.ts';
import { scp } from './file-clients.ts';
import { fileEvents, fileTransferSuite, sha256 } from './file-suite.ts';

// Legacy scp (`scp -O`, the rcp protocol over exec) under the same file rules as SFTP.
const area = `/tmp/warden-scp-${process.pid}`;
const rules = [
  { id: 'test:no-secrets', match: { files: ['/etc/shadow', '*/secret*'], direction: 'download' }, effect: 'block', message: 'secrets stay on the server' },
  { id: 'test:uploads-in-area', match: { files: [`!${area}/*`], direction: 'upload' }, effect: 'block', message: `uploads go to ${area}` },
  { id: 'test:no-exe-uploads', match: { files: ['*.exe'], direction: 'upload' }, effect: 'block', message: 'no executables' },
];


const s = fileTransferSuite({ rules, area, localPrefix: 'warden-scp-local-' });

describe('scp -O (legacy protocol) through the gateway', () => {
  test('an upload arrives byte-identical and is recorded with path, size and SHA-256', async () => {
    const data = randomBytes(500_001);
    writeFileSync(join(s.local, 'up.bin'), data);
    const r = await scp(s.t.sshPort, 'alice@box', s.token, [join(s.local, 'up.bin'), `127.0.0.1:${area}/`], true);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(`${area}/up.bin`).equals(data)).toBe(true);
    const { events } = await endedSession(s.t, 'alice', 'box');
    expect(fileEvents(events)).toEqual([
      expect.objectContaining({ via: 'scp', op: 'upload', direction: 'upload', path: `${area}/up.bin`, bytes: data.length, sequential: true, sha256: sha256(data), verdict: { effect: 'allow', rules: ['default:file-allow'] } }),
    ]);
  });

  test('a download arrives byte-identical and is recorded', async () => {
    const data = randomBytes(250_000);
    writeFileSync(`${area}/down.bin`, data);
    const r = await scp(s.t.sshPort, 'alice@box', s.token, [`127.0.0.1:${area}/down.bin`, join(s.local, 'down.bin')], true);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(s.local, 'down.bin')).equals(data)).toBe(true);
    const { events } = await endedSession(s.t, 'alice', 'box');
    expect(fileEvents(events)).toEqual([expect.objectContaining({ via: 'scp', op: 'download', path: `${area}/down.bin`, bytes: data.length, sha256: sha256(data) })]);
  });

  test('a denied download leaves nothing on the client, says why, and is recorded as blocked', async () => {
    writeFileSync(`${area}/secret.txt`, 'the launch codes\n');
    const dest = join(s.local, 'secret.txt');
    const r = await scp(s.t.sshPort, 'alice@box', s.token, [`127.0.0.1:${area}/secret.txt`, dest], true);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('secrets stay on the server');
    expect(existsSync(dest)).toBe(false);
    const { events } = await endedSession(s.t, 'alice', 'box');
    expect(fileEvents(events)).toEqual([
      expect.objectContaining({ op: 'download', path: `${area}/secret.txt`, verdict: { effect: 'block', rules: ['test:no-secrets'] }, error: expect.objectContaining({ code: 'blocked' }) }),
    ]);
  });

  test('a denied upload leaves the target unchanged and says why', async () => {
    writeFileSync(join(s.local, 'evil.txt'), 'not welcome\n');
    const dest = `/var/tmp/warden-scp-evil-${process.pid}.txt`;
    const r = await scp(s.t.sshPort, 'alice@box', s.token, [join(s.local, 'evil.txt'), `127.0.0.1:${dest}`], true);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`uploads go to ${area}`);
    expect(existsSync(dest)).toBe(false);
    const { events } = await endedSession(s.t, 'alice', 'box');
    expect(fileEvents(events)).toEqual([expect.objectContaining({ op: 'upload', path: dest, verdict: { effect: 'block', rules: ['test:uploads-in-area'] } })]);
  });

  test('a recursive upload judges each file: the refused one is skipped, the others arrive', async () => {
    const tree = join(s.local, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'a.txt'), 'a\n');
    writeFileSync(join(tree, 'sub', 'b.txt'), 'b\n');
    writeFileSync(join(tree, 'sub', 'tool.exe'), 'MZ\n');
    const r = await scp(s.t.sshPort, 'alice@box', s.token, ['-r', tree, `127.0.0.1:${area}/`], true);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no executables');
    expect(readFileSync(`${area}/tree/a.txt`, 'utf8')).toBe('a\n');
    expect(readFileSync(`${area}/tree/sub/b.txt`, 'utf8')).toBe('b\n');
    expect(existsSync(`${area}/tree/sub/tool.exe`)).toBe(false);
    const { events } = await endedSession(s.t, 'alice', 'box');
    const ops = fileEvents(events).map((e) => [e.op, e.path, e.verdict.effect]);
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
    const r = await scp(s.t.sshPort, 'alice@box', s.token, ['-r', `127.0.0.1:${area}/docs`, join(s.local, 'docs')], true);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('secrets stay on the server');
    expect(readFileSync(join(s.local, 'docs', 'readme.txt'), 'utf8')).toBe('hello\n');
    expect(existsSync(join(s.local, 'docs', 'secret-plan.txt'))).toBe(false);
    const { events } = await endedSession(s.t, 'alice', 'box');
    expect(fileEvents(events).map((e) => [e.op, e.path, e.verdict.effect])).toEqual(
      expect.arrayContaining([
        ['list', `${area}/docs`, 'allow'],
        ['download', `${area}/docs/readme.txt`, 'allow'],
        ['download', `${area}/docs/secret-plan.txt`, 'block'],
      ]),
    );
  });

  test('a client that vanishes mid-upload ends the session with a recorded reason and an interrupted transfer', async () => {
    // A sparse 2 GiB local file: far more than can pass before the client is killed.
    const big = join(s.local, 'big.bin');
    writeFileSync(big, '');
    truncateSync(big, 2 ** 31);
    const dest = `${area}/big.bin`;
    let child: ChildProcess | undefined;
    const run = scp(s.t.sshPort, 'alice@box', s.token, [big, `127.0.0.1:${dest}`], true, (p) => (child = p));
    // Killed once bytes are arriving on the target (a behaviour, not a time).
    while (!(existsSync(dest) && statSync(dest).size > 0)) await new Promise((r) => setTimeout(r, 20));
    process.kill(-child!.pid!, 'SIGKILL');
    await run;
    const { session, events } = await endedSession(s.t, 'alice', 'box');
    expect(session.endReason).toBe('client_closed');
    const upload = fileEvents(events).find((e) => e.op === 'upload')!;
    expect(upload).toMatchObject({ via: 'scp', path: dest, error: { code: 'interrupted' } });
    expect(upload.bytes).toBeLessThan(2 ** 31);
    expect(events.at(-1)).toMatchObject({ type: 'session_end', reason: 'client_closed' });
  });
});
