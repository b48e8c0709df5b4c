import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { describe, expect, test } from 'vitest';
import { relayChunk } from '../../src/protocols/ssh/sftp-limits.ts';
import { endedSession } from '../helpers/gateway.ts';
import { sftpBatch } from './file-clients.ts';
import { fileEvents, fileTransferSuite, sha256 } from './file-suite.ts';
import { connectSsh2 } from './ssh-client.ts';

// Large transfers with many requests in flight: the relay answers in completion order and hashes in
// offset order, so what arrives is byte-identical and the recorded SHA-256 is the file's.
const area = `/tmp/warden-sftp-big-${process.pid}`;
const big = randomBytes(20 * 1024 * 1024);

const s = fileTransferSuite({ rules: [], area, localPrefix: 'warden-sftp-big-local-' });

/** ssh2's SFTP client through the gateway, or with `direct` straight to the target s.sshd. */
async function librarySftp<T>(use: (sftp: SFTPWrapper) => Promise<T>, direct = false): Promise<T> {
  const client = direct ? await connectSsh2(s.sshd.port, s.sshd.user, s.sshd.password) : await connectSsh2(s.t.sshPort, 'alice@box', s.token);
  try {
    return await use(await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s)))));
  } finally {
    client.end();
  }
}

/** What ssh2's client took from the server's limits@openssh.com reply (it asks when the VERSION offers it). */
const limitsSeen = (sftp: SFTPWrapper) => {
  const s = sftp as unknown as { _extensions: Record<string, string>; _maxOutPktLen: number; _maxReadLen: number; _maxWriteLen: number };
  return { offered: s._extensions['limits@openssh.com'], packet: s._maxOutPktLen, read: s._maxReadLen, write: s._maxWriteLen };
};

describe('limits@openssh.com through the gateway', () => {
  test("the gateway offers the extension and states the target's limits (reads and writes capped); one READ larger than 32 KiB is answered whole", async () => {
    const target = await librarySftp(async (sftp) => limitsSeen(sftp), true);
    // The target is OpenSSH's sftp-server, which offers the extension with reads well above 32 KiB.
    expect(target.offered).toBe('1');
    expect(target.read).toBeGreaterThan(64 * 1024);
    const blob = randomBytes(3 * 64 * 1024);
    writeFileSync(`${area}/limits.bin`, blob);
    chmodSync(`${area}/limits.bin`, 0o644);
    const { seen, n, data } = await librarySftp(async (sftp) => {
      const seen = limitsSeen(sftp);
      const h = await new Promise<Buffer>((resolve, reject) => sftp.open(`${area}/limits.bin`, 'r', (err, h) => (err ? reject(err) : resolve(h))));
      // Within the stated read length ssh2 sends this as one READ; a gateway that cut it short would answer less.
      const len = Math.min(seen.read, blob.length);
      const [n, data] = await new Promise<[number, Buffer]>((resolve, reject) =>
        sftp.read(h, Buffer.alloc(len), 0, len, 0, (err, n, data) => (err ? reject(err) : resolve([n, data]))),
      );
      await new Promise<void>((resolve) => sftp.close(h, () => resolve()));
      return { seen, n, data };
    });
    expect(seen).toEqual({ ...target, read: Math.min(target.read, relayChunk), write: Math.min(target.write, relayChunk) });
    expect(n).toBe(Math.min(seen.read, blob.length));
    expect(n).toBeGreaterThan(32 * 1024);
    expect(data.subarray(0, n).equals(blob.subarray(0, n))).toBe(true);
    const download = fileEvents((await endedSession(s.t, 'alice', 'box')).events).find((e) => e.path === `${area}/limits.bin`);
    expect(download).toMatchObject({ op: 'download', bytes: n, sha256: sha256(blob.subarray(0, n)) });
  });

  test('OpenSSH sftp sees the extension and uses the larger buffers', async () => {
    const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, ['pwd'], undefined, ['-vvv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Server supports extension "limits@openssh.com" revision 1');
    // OpenSSH logs what it will use: "server upload/download buffer sizes W / R; using W' / R'".
    const m = /buffer sizes \d+ \/ \d+; using (\d+) \/ (\d+)/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(32 * 1024);
    expect(Number(m![2])).toBeGreaterThan(32 * 1024);
  });
});

describe('large sftp transfers through the gateway', () => {
  test('a 20 MB put and get with OpenSSH sftp arrive byte-identical, each recorded with the right SHA-256', async () => {
    writeFileSync(join(s.local, 'big.bin'), big);
    const r = await sftpBatch(s.t.sshPort, 'alice@box', s.token, [`put ${join(s.local, 'big.bin')} ${area}/big.bin`, `get ${area}/big.bin ${join(s.local, 'big-back.bin')}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(`${area}/big.bin`).equals(big)).toBe(true);
    expect(readFileSync(join(s.local, 'big-back.bin')).equals(big)).toBe(true);
    const transfers = fileEvents((await endedSession(s.t, 'alice', 'box')).events);
    const expected = { path: `${area}/big.bin`, bytes: big.length, sequential: true, sha256: sha256(big) };
    expect(transfers.find((e) => e.op === 'upload')).toMatchObject({ ...expected, direction: 'upload' });
    expect(transfers.find((e) => e.op === 'download')).toMatchObject({ ...expected, direction: 'download' });
  });

  test('a client with 256 requests in flight (beyond the per-channel bound) is paused, not refused: every answer comes back', async () => {
    writeFileSync(join(s.local, 'wide.bin'), big);
    await librarySftp(async (sftp) => {
      // 16 KiB: ssh2 splits a write larger than the stated limit and sends the rest only once the first part is
      // answered, 255 requests later: a gap wider than the tally's reorder buffer, which (rightly) gives up the hash.
      const opts = { concurrency: 256, chunkSize: 16 * 1024 };
      await new Promise<void>((resolve, reject) => sftp.fastPut(join(s.local, 'wide.bin'), `${area}/wide.bin`, opts, (err) => (err ? reject(err) : resolve())));
      await new Promise<void>((resolve, reject) => sftp.fastGet(`${area}/wide.bin`, join(s.local, 'wide-back.bin'), opts, (err) => (err ? reject(err) : resolve())));
    });
    expect(readFileSync(`${area}/wide.bin`).equals(big)).toBe(true);
    expect(readFileSync(join(s.local, 'wide-back.bin')).equals(big)).toBe(true);
    const transfers = fileEvents((await endedSession(s.t, 'alice', 'box')).events);
    for (const op of ['upload', 'download'] as const) {
      expect(transfers.find((e) => e.op === op), op).toMatchObject({ path: `${area}/wide.bin`, bytes: big.length, sequential: true, sha256: sha256(big) });
    }
  });
});
