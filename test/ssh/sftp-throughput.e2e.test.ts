import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FileEvent, RecordingEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';
import { sftpBatch } from './file-clients.ts';

// Large transfers with many requests in flight: the relay answers in completion order and hashes in
// offset order, so what arrives is byte-identical and the recorded SHA-256 is the file's.
const area = `/tmp/warden-sftp-big-${process.pid}`;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const files = (events: RecordingEvent[]) => events.filter((e): e is FileEvent => e.type === 'file');
const big = randomBytes(20 * 1024 * 1024);

let sshd: TestSshd;
let t: TestGatewayWithMysql;
let token: string;
let local: string;

beforeAll(async () => {
  sshd = await startTestSshd();
  t = await startTestGateway({ rules: [] });
  token = await t.user('alice');
  await t.connection('box', { type: 'ssh', host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password });
  mkdirSync(area, { recursive: true });
  chmodSync(area, 0o777);
  local = mkdtempSync(join(tmpdir(), 'warden-sftp-big-local-'));
});
afterAll(async () => {
  await t?.stop();
  await sshd?.stop();
  rmSync(area, { recursive: true, force: true });
  if (local) rmSync(local, { recursive: true, force: true });
});

async function librarySftp<T>(use: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
    client.connect({ host: '127.0.0.1', port: t.sshPort, username: 'alice@box', password: token });
  });
  try {
    return await use(await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s)))));
  } finally {
    client.end();
  }
}

describe('large sftp transfers through the gateway', () => {
  test('a 20 MB put and get with OpenSSH sftp arrive byte-identical, each recorded with the right SHA-256', async () => {
    writeFileSync(join(local, 'big.bin'), big);
    const r = await sftpBatch(t.sshPort, 'alice@box', token, [`put ${join(local, 'big.bin')} ${area}/big.bin`, `get ${area}/big.bin ${join(local, 'big-back.bin')}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(`${area}/big.bin`).equals(big)).toBe(true);
    expect(readFileSync(join(local, 'big-back.bin')).equals(big)).toBe(true);
    const transfers = files((await endedSession(t, 'alice', 'box')).events);
    const expected = { path: `${area}/big.bin`, bytes: big.length, sequential: true, sha256: sha256(big) };
    expect(transfers.find((e) => e.op === 'upload')).toMatchObject({ ...expected, direction: 'upload' });
    expect(transfers.find((e) => e.op === 'download')).toMatchObject({ ...expected, direction: 'download' });
  });

  test('a client with 256 requests in flight (beyond the per-channel bound) is paused, not refused: every answer comes back', async () => {
    writeFileSync(join(local, 'wide.bin'), big);
    await librarySftp(async (sftp) => {
      // 16 KiB: ssh2 splits a larger write at its 31,952-byte limit and sends the rest only once the first part is
      // answered, 255 requests later: a gap wider than the tally's reorder buffer, which (rightly) gives up the hash.
      const opts = { concurrency: 256, chunkSize: 16 * 1024 };
      await new Promise<void>((resolve, reject) => sftp.fastPut(join(local, 'wide.bin'), `${area}/wide.bin`, opts, (err) => (err ? reject(err) : resolve())));
      await new Promise<void>((resolve, reject) => sftp.fastGet(`${area}/wide.bin`, join(local, 'wide-back.bin'), opts, (err) => (err ? reject(err) : resolve())));
    });
    expect(readFileSync(`${area}/wide.bin`).equals(big)).toBe(true);
    expect(readFileSync(join(local, 'wide-back.bin')).equals(big)).toBe(true);
    const transfers = files((await endedSession(t, 'alice', 'box')).events);
    for (const op of ['upload', 'download'] as const) {
      expect(transfers.find((e) => e.op === op), op).toMatchObject({ path: `${area}/wide.bin`, bytes: big.length, sequential: true, sha256: sha256(big) });
    }
  });
});
