import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { SFTPWrapper } from 'ssh2';
import { describe, expect, test } from 'vitest';
import { endedSession } from '../helpers/gateway.ts';
import { sftpBatch } from './file-clients.ts';
import { fileEvents, fileTransferSuite } from './file-suite.ts';
import { connectSsh2 } from './ssh-client.ts';

// The OpenSSH extensions the target (OpenSSH's sftp-server) offers, relayed and judged like their core requests:
// secrets never leave the target, and nothing changes outside the area or under its `locked` directory.
const area = `/tmp/warden-sftp-ext-${process.pid}`;
const rules = [
  { id: 'test:no-secrets', match: { files: ['*/secret*'], direction: 'download' }, effect: 'block', message: 'secrets stay on the server' },
  { id: 'test:uploads-in-area', match: { files: [`!${area}/*`], direction: 'upload' }, effect: 'block', message: `uploads go to ${area}` },
  { id: 'test:locked', match: { files: [`${area}/locked/*`], direction: 'upload' }, effect: 'block', message: 'the locked directory is read-only' },
];
const s = fileTransferSuite({ rules, area, localPrefix: 'warden-sftp-ext-local-' });

/** Files put on the target by the target's user (so it may link and rename them), through the gateway. */
async function putFiles(files: Record<string, string>): Promise<void> {
  const puts = Object.entries(files).map(([name, content]) => {
    writeFileSync(join(s.local, name), content);
    return `put ${join(s.local, name)} ${area}/${name}`;
  });
  const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, puts);
  expect(r.code, r.stderr).toBe(0);
}

/** ssh2's SFTP client through the gateway. */
async function librarySftp<T>(use: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
  const client = await connectSsh2(s.t.sshPort, 'alice@box', s.token);
  try {
    return await use(await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp)))));
  } finally {
    client.end();
  }
}

const call = <T>(f: (cb: (err: Error | null | undefined, v: T) => void) => void) => new Promise<T>((resolve, reject) => f((err, v) => (err ? reject(err) : resolve(v))));

describe('SFTP extensions through the gateway', () => {
  test("the gateway offers the target's extensions it relays, and no others", async () => {
    const extensions = await librarySftp(async (sftp) => ({ ...(sftp as unknown as { _extensions: Record<string, string> })._extensions }));
    expect(extensions).toEqual({
      'limits@openssh.com': '1',
      'posix-rename@openssh.com': '1',
      'hardlink@openssh.com': '1',
      'lsetstat@openssh.com': '1',
      'statvfs@openssh.com': '2',
      'fstatvfs@openssh.com': '2',
      'fsync@openssh.com': '1',
      'expand-path@openssh.com': '1',
      'copy-data': '1',
      'home-directory': '1',
      'users-groups-by-id@openssh.com': '1',
    });
  });

  test('rename onto an existing file replaces it (posix-rename) and is recorded; into a denied path it is refused and nothing changes', async () => {
    await putFiles({ 'new.txt': 'new\n', 'old.txt': 'old\n', 'mine.txt': 'mine\n' });
    const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`rename ${area}/new.txt ${area}/old.txt`], undefined, ['-vv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('posix-rename@openssh.com');
    expect(readFileSync(`${area}/old.txt`, 'utf8')).toBe('new\n');
    expect(existsSync(`${area}/new.txt`)).toBe(false);
    const renamed = fileEvents((await endedSession(s.t, 'alice', 'box')).events);
    expect(renamed).toContainEqual(expect.objectContaining({ op: 'rename', direction: 'upload', path: `${area}/new.txt`, to: `${area}/old.txt`, verdict: { effect: 'allow', rules: ['default:file-allow'] } }));
    expect(renamed.find((e) => e.op === 'rename')?.error).toBeUndefined();

    // Open to the target's user: only the gateway stands between the rename and the file.
    mkdirSync(`${area}/locked`, { mode: 0o777 });
    chmodSync(`${area}/locked`, 0o777);
    writeFileSync(`${area}/locked/kept.txt`, 'kept\n');
    const denied = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`rename ${area}/mine.txt ${area}/locked/kept.txt`]);
    expect(denied.code).not.toBe(0);
    expect(readFileSync(`${area}/locked/kept.txt`, 'utf8')).toBe('kept\n');
    expect(readFileSync(`${area}/mine.txt`, 'utf8')).toBe('mine\n');
    expect(fileEvents((await endedSession(s.t, 'alice', 'box')).events)).toContainEqual(
      expect.objectContaining({ op: 'rename', path: `${area}/mine.txt`, to: `${area}/locked/kept.txt`, verdict: { effect: 'block', rules: ['test:locked'] }, error: { code: 'blocked', message: expect.stringContaining('the locked directory is read-only') } }),
    );
  });

  test('df works (statvfs), unrecorded like stat', async () => {
    const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`df ${area}`, `df -i ${area}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Size\s+Used\s+Avail/);
    expect(r.stdout).toMatch(/Inodes\s+Used\s+Avail/);
    expect(fileEvents((await endedSession(s.t, 'alice', 'box')).events)).toEqual([]);
  });

  test('ln makes a hard link (hardlink) and is recorded; outside the area, or to a file that may not be downloaded, it is refused', async () => {
    await putFiles({ 'orig.txt': 'orig\n', 'secret.txt': 'hush\n' });
    const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`ln ${area}/orig.txt ${area}/hard.txt`]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(`${area}/hard.txt`).ino).toBe(statSync(`${area}/orig.txt`).ino);
    expect(fileEvents((await endedSession(s.t, 'alice', 'box')).events)).toEqual([
      expect.objectContaining({ op: 'hardlink', direction: 'upload', path: `${area}/hard.txt`, to: `${area}/orig.txt`, verdict: { effect: 'allow', rules: ['default:file-allow'] } }),
    ]);

    const outside = `/var/tmp/warden-hard-${process.pid}.txt`;
    const out = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`ln ${area}/orig.txt ${outside}`]);
    expect(out.code).not.toBe(0);
    expect(existsSync(outside)).toBe(false);
    // A second name for a secret would dodge the download rule, which judges files by name.
    const secret = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`ln ${area}/secret.txt ${area}/public.txt`]);
    expect(secret.code).not.toBe(0);
    expect(existsSync(`${area}/public.txt`)).toBe(false);
    expect(fileEvents((await endedSession(s.t, 'alice', 'box')).events)).toEqual([
      expect.objectContaining({ op: 'hardlink', path: `${area}/public.txt`, to: `${area}/secret.txt`, verdict: { effect: 'block', rules: ['test:no-secrets'] }, error: { code: 'blocked', message: expect.stringContaining('secrets stay on the server') } }),
    ]);
  });

  test('cp copies on the target (copy-data) between files judged at their OPEN; the events carry no hash of bytes the gateway did not see', async () => {
    await putFiles({ 'cp-src.txt': 'copied\n', 'secret-cp.txt': 'hush\n' });
    const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`cp ${area}/cp-src.txt ${area}/cp-dst.txt`]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(`${area}/cp-dst.txt`, 'utf8')).toBe('copied\n');
    const events = fileEvents((await endedSession(s.t, 'alice', 'box')).events);
    expect(events.map((e) => [e.op, e.path, e.bytes, e.sequential, e.sha256])).toEqual(
      expect.arrayContaining([
        ['download', `${area}/cp-src.txt`, 0, false, undefined],
        ['upload', `${area}/cp-dst.txt`, 0, false, undefined],
      ]),
    );
    // A secret is not copied out, nor anything into the locked directory.
    const secret = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`cp ${area}/secret-cp.txt ${area}/cp-public.txt`]);
    expect(secret.code).not.toBe(0);
    expect(existsSync(`${area}/cp-public.txt`)).toBe(false);
    mkdirSync(`${area}/locked`, { recursive: true, mode: 0o777 });
    chmodSync(`${area}/locked`, 0o777);
    const locked = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`cp ${area}/cp-src.txt ${area}/locked/cp.txt`]);
    expect(locked.code).not.toBe(0);
    expect(existsSync(`${area}/locked/cp.txt`)).toBe(false);
    // A file opened only to write may not be read by copy-data.
    const refused = await librarySftp(async (sftp) => {
      const from = await call<Buffer>((cb) => sftp.open(`${area}/cp-src.txt`, 'a', cb));
      const to = await call<Buffer>((cb) => sftp.open(`${area}/cp-dst2.txt`, 'w', cb));
      return call<undefined>((cb) => sftp.ext_copy_data(from, 0, 0, to, 0, (err) => cb(err, undefined))).then(
        () => 'copied',
        (err: { code?: number; message: string }) => [err.code, err.message],
      );
    });
    // Refused by the gateway (the target would refuse it too, from its own check).
    expect(refused).toEqual([ssh2.utils.sftp.STATUS_CODE.PERMISSION_DENIED, expect.stringContaining('warden: copy-data')]);
    expect(readFileSync(`${area}/cp-dst2.txt`, 'utf8')).toBe('');
  });

  test('fsync and fstatvfs on a handle the gateway opened, and lsetstat judged like setstat (expand-path: sftp-relay.e2e.test.ts, ssh2 encodes it wrongly)', async () => {
    const { vfs, denied } = await librarySftp(async (sftp) => {
      const h = await call<Buffer>((cb) => sftp.open(`${area}/synced.txt`, 'w', cb));
      await call<undefined>((cb) => sftp.write(h, Buffer.from('synced\n'), 0, 7, 0, (err) => cb(err, undefined)));
      await call<undefined>((cb) => sftp.ext_openssh_fsync(h, (err) => cb(err, undefined)));
      const vfs = await call<{ f_bsize: number }>((cb) => sftp.ext_openssh_fstatvfs(h, cb));
      await call<undefined>((cb) => sftp.close(h, (err) => cb(err, undefined)));
      await call<undefined>((cb) => sftp.ext_openssh_lsetstat(`${area}/synced.txt`, { mode: 0o600 }, (err) => cb(err, undefined)));
      const denied = await call<undefined>((cb) => sftp.ext_openssh_lsetstat('/var/tmp', { mode: 0o777 }, (err) => cb(err, undefined))).catch((err: { code?: number }) => err.code);
      return { vfs, denied };
    });
    expect(readFileSync(`${area}/synced.txt`, 'utf8')).toBe('synced\n');
    expect((statSync(`${area}/synced.txt`).mode & 0o777).toString(8)).toBe('600');
    expect(Number(vfs.f_bsize)).toBeGreaterThan(0);
    expect(denied).toBe(ssh2.utils.sftp.STATUS_CODE.PERMISSION_DENIED);
    const events = fileEvents((await endedSession(s.t, 'alice', 'box')).events);
    expect(events.map((e) => [e.op, e.path, e.verdict.effect])).toEqual([
      ['upload', `${area}/synced.txt`, 'allow'],
      ['setstat', `${area}/synced.txt`, 'allow'],
      ['setstat', '/var/tmp', 'block'],
    ]);
  });
});
