import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { SFTPWrapper } from 'ssh2';
import { describe, expect, test } from 'vitest';
import { endedSession } from '../helpers/gateway.ts';
import { scp, sftpBatch } from './file-clients.ts';
import { fileEvents, fileTransferSuite, sha256 } from './file-suite.ts';
import { connectSsh2 } from './ssh-client.ts';

// Real rules: secrets never leave the target, uploads (anything that changes the target) only under the
// test's directory in /tmp, and what no rule covers falls to the shipped file default (allow, recorded).
const area = `/tmp/warden-sftp-${process.pid}`;
const rules = [
  { id: 'test:no-secrets', match: { files: ['/etc/shadow', '*/secret*'], direction: 'download' }, effect: 'block', message: 'secrets stay on the server' },
  { id: 'test:uploads-in-area', match: { files: [`!${area}/*`], direction: 'upload' }, effect: 'block', message: `uploads go to ${area}` },
  { id: 'test:review-reports', match: { files: ['*/reports/*'], direction: 'upload' }, effect: 'review', approvers: ['ops'] },
];


const s = fileTransferSuite({ rules, area, localPrefix: 'warden-sftp-local-' });

describe('sftp through the gateway', () => {
  test('an upload arrives byte-identical and is recorded with path, size and SHA-256', async () => {
    const data = randomBytes(700_000);
    writeFileSync(join(s.local, 'up.bin'), data);
    const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`put ${join(s.local, 'up.bin')} ${area}/up.bin`]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(`${area}/up.bin`).equals(data)).toBe(true);
    const { events } = await endedSession(s.t, 'alice', 'box');
    expect(fileEvents(events).find((e) => e.op === 'upload')).toMatchObject({
      via: 'sftp',
      direction: 'upload',
      path: `${area}/up.bin`,
      bytes: data.length,
      sequential: true,
      sha256: sha256(data),
      verdict: { effect: 'allow', rules: ['default:file-allow'] },
    });
  });

  test('a download arrives byte-identical and is recorded; relative paths are judged from the home directory', async () => {
    const data = randomBytes(300_000);
    writeFileSync(`${area}/down.bin`, data);
    const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`get ${area}/down.bin ${join(s.local, 'down.bin')}`, `get ../../${area}/down.bin ${join(s.local, 'down2.bin')}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(s.local, 'down.bin')).equals(data)).toBe(true);
    expect(readFileSync(join(s.local, 'down2.bin')).equals(data)).toBe(true);
    const { events } = await endedSession(s.t, 'alice', 'box');
    const downloads = fileEvents(events).filter((e) => e.op === 'download');
    expect(downloads).toHaveLength(2);
    for (const d of downloads) expect(d).toMatchObject({ path: `${area}/down.bin`, direction: 'download', bytes: data.length, sha256: sha256(data), sequential: true });
  });

  test('a resumed download passes and is counted, but has no hash: its bytes did not start at offset 0', async () => {
    const data = randomBytes(200_000);
    writeFileSync(`${area}/resume.bin`, data);
    writeFileSync(join(s.local, 'resume.bin'), data.subarray(0, 80_000));
    const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`reget ${area}/resume.bin ${join(s.local, 'resume.bin')}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(s.local, 'resume.bin')).equals(data)).toBe(true);
    const { events } = await endedSession(s.t, 'alice', 'box');
    const d = fileEvents(events).find((e) => e.op === 'download')!;
    expect(d).toMatchObject({ path: `${area}/resume.bin`, bytes: 120_000, sequential: false });
    expect(d.sha256).toBeUndefined();
  });

  test('a denied download leaves nothing on the client and is recorded as blocked', async () => {
    writeFileSync(`${area}/secret.txt`, 'the launch codes\n');
    const dest = join(s.local, 'secret.txt');
    const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`get ${area}/secret.txt ${dest}`]);
    expect(r.code).not.toBe(0);
    expect(existsSync(dest)).toBe(false);
    const { events } = await endedSession(s.t, 'alice', 'box');
    expect(fileEvents(events)).toContainEqual(
      expect.objectContaining({ op: 'download', path: `${area}/secret.txt`, verdict: { effect: 'block', rules: ['test:no-secrets'] }, error: expect.objectContaining({ code: 'blocked', message: expect.stringContaining('secrets stay on the server') }) }),
    );
  });

  test('a refusal is SSH_FX_PERMISSION_DENIED with a message naming the rule (as a library client sees it)', async () => {
    const client = await connectSsh2(s.t.sshPort, 'alice@box', s.token);
    try {
      const sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
      const err = await new Promise<Error & { code?: number }>((resolve) => sftp.open(`${area}/secret.txt`, 'r', (e) => resolve(e!)));
      expect(err.code).toBe(ssh2.utils.sftp.STATUS_CODE.PERMISSION_DENIED);
      expect(err.message).toContain('blocked by policy rule "test:no-secrets": secrets stay on the server');
    } finally {
      client.end();
    }
  });

  test('a denied upload leaves the target unchanged; a review verdict refuses too', async () => {
    writeFileSync(join(s.local, 'evil.txt'), 'not welcome\n');
    const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`put ${join(s.local, 'evil.txt')} /var/tmp/warden-evil-${process.pid}.txt`]);
    expect(r.code).not.toBe(0);
    expect(existsSync(`/var/tmp/warden-evil-${process.pid}.txt`)).toBe(false);
    mkdirSync(`${area}/reports`, { recursive: true });
    chmodSync(`${area}/reports`, 0o777);
    const reviewed = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`put ${join(s.local, 'evil.txt')} ${area}/reports/q3.txt`]);
    expect(reviewed.code).not.toBe(0);
    expect(existsSync(`${area}/reports/q3.txt`)).toBe(false);
    const { events } = await endedSession(s.t, 'alice', 'box');
    expect(fileEvents(events)).toContainEqual(
      expect.objectContaining({ op: 'upload', path: `${area}/reports/q3.txt`, verdict: { effect: 'review', rules: ['test:review-reports'] }, error: expect.objectContaining({ code: 'blocked', message: expect.stringContaining('approval') }) }),
    );
  });

  test('directory operations, renames and removals are judged and recorded', async () => {
    writeFileSync(join(s.local, 'a.txt'), 'a\n');
    const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [
      `mkdir ${area}/d`,
      `put ${join(s.local, 'a.txt')} ${area}/d/a.txt`,
      `rename ${area}/d/a.txt ${area}/d/b.txt`,
      `ls ${area}/d`,
      `chmod 600 ${area}/d/b.txt`,
      `rm ${area}/d/b.txt`,
      `rmdir ${area}/d`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('b.txt');
    expect(existsSync(`${area}/d`)).toBe(false);
    const { events } = await endedSession(s.t, 'alice', 'box');
    const ops = fileEvents(events).map((e) => [e.op, e.path, e.to, e.verdict.effect]);
    expect(ops).toEqual(
      expect.arrayContaining([
        ['mkdir', `${area}/d`, undefined, 'allow'],
        ['rename', `${area}/d/a.txt`, `${area}/d/b.txt`, 'allow'],
        ['list', `${area}/d`, undefined, 'allow'],
        ['setstat', `${area}/d/b.txt`, undefined, 'allow'],
        ['remove', `${area}/d/b.txt`, undefined, 'allow'],
        ['rmdir', `${area}/d`, undefined, 'allow'],
      ]),
    );
    // Renaming out of the area is an upload outside it: refused, the file stays.
    writeFileSync(`${area}/keep.txt`, 'k\n');
    chmodSync(`${area}/keep.txt`, 0o666);
    const out = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`rename ${area}/keep.txt /var/tmp/warden-moved-${process.pid}.txt`]);
    expect(out.code).not.toBe(0);
    expect(existsSync(`${area}/keep.txt`)).toBe(true);
  });

  test('scp in its default (SFTP) mode uploads and downloads through the same path', async () => {
    const data = randomBytes(123_457);
    writeFileSync(join(s.local, 'scp.bin'), data);
    const up = await scp(s.t.sshPort, 'alice@box', s.token, [join(s.local, 'scp.bin'), `127.0.0.1:${area}/scp.bin`]);
    expect(up.code, up.stderr).toBe(0);
    expect(readFileSync(`${area}/scp.bin`).equals(data)).toBe(true);
    const upEvents = fileEvents((await endedSession(s.t, 'alice', 'box')).events);
    expect(upEvents.find((e) => e.op === 'upload')).toMatchObject({ via: 'sftp', path: `${area}/scp.bin`, bytes: data.length, sha256: sha256(data) });
    const down = await scp(s.t.sshPort, 'alice@box', s.token, [`127.0.0.1:${area}/scp.bin`, join(s.local, 'scp-back.bin')]);
    expect(down.code, down.stderr).toBe(0);
    expect(readFileSync(join(s.local, 'scp-back.bin')).equals(data)).toBe(true);
    const denied = await scp(s.t.sshPort, 'alice@box', s.token, [`127.0.0.1:${area}/secret.txt`, join(s.local, 'scp-secret.txt')]);
    expect(denied.code).not.toBe(0);
    expect(existsSync(join(s.local, 'scp-secret.txt'))).toBe(false);
  });

  test('a client that vanishes mid-download ends the session with a recorded reason and an interrupted transfer', async () => {
    // A sparse 2 GiB file: far more than can pass before the client is killed, without using the disk.
    const big = `${area}/big.bin`;
    writeFileSync(big, '');
    truncateSync(big, 2 ** 31);
    const dest = join(s.local, 'big.bin');
    let child: ChildProcess | undefined;
    const run = sftpBatch(s.t.sshPort, 'alice@box', s.token, [`get ${big} ${dest}`], (p) => (child = p));
    // Killed once bytes are arriving (a behaviour, not a time).
    while (!(existsSync(dest) && statSync(dest).size > 0)) await new Promise((r) => setTimeout(r, 20));
    // sshpass runs sftp, which runs ssh: killing the whole group is a vanished client.
    process.kill(-child!.pid!, 'SIGKILL');
    await run;
    const { session, events } = await endedSession(s.t, 'alice', 'box');
    expect(session.endReason).toBe('client_closed');
    expect(fileEvents(events).find((e) => e.op === 'download')).toMatchObject({ path: big, error: { code: 'interrupted' } });
    expect(fileEvents(events).find((e) => e.op === 'download')!.bytes).toBeLessThan(2 ** 31);
    expect(events.at(-1)).toMatchObject({ type: 'session_end', reason: 'client_closed' });
  });
});
