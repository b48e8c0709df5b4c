import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { endedSession } from '../helpers/gateway.ts';
import { scp } from './file-clients.ts';
import { fileEvents, fileTransferSuite, sha256 } from './file-suite.ts';

const binding = createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js').bindingAvailable === true;
const chacha = ['-c', 'chacha20-poly1305@openssh.com'];
/** The cipher OpenSSH says it uses towards the server (its `-v` output), e.g. aes128-gcm@openssh.com. */
const negotiated = (stderr: string) => /kex: client->server cipher: (\S+)/.exec(stderr)?.[1];

describe('the client leg by default: AES-GCM alone (ssh.clientCiphers)', () => {
  const area = `/tmp/warden-ciphers-default-${process.pid}`;
  const s = fileTransferSuite({ rules: [], area, localPrefix: 'warden-ciphers-local-' });

  test('a default OpenSSH client (chacha20 and CTR before GCM in its order) lands on AES-GCM', async () => {
    writeFileSync(`${area}/a.bin`, randomBytes(1000));
    const r = await scp(s.t.sshPort, 'alice@box', s.token, ['-v', `127.0.0.1:${area}/a.bin`, join(s.local, 'a.bin')]);
    expect(r.code, r.stderr).toBe(0);
    expect(negotiated(r.stderr)).toBe('aes128-gcm@openssh.com');
  });

  test('a client that only speaks chacha20-poly1305 is refused at key exchange, naming no match', async () => {
    const r = await scp(s.t.sshPort, 'alice@box', s.token, [...chacha, '-v', `127.0.0.1:${area}/a.bin`, join(s.local, 'b.bin')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no matching cipher found. Their offer: aes128-gcm@openssh.com,aes256-gcm@openssh.com');
  });
});

// With the binding loaded, chacha20-poly1305 is cheap enough to offer to clients that need it (src/protocols/ssh/algorithms.ts).
describe.skipIf(!binding)('chacha20-poly1305 on the client leg when configured (ssh2 native binding loaded)', () => {
  const area = `/tmp/warden-ciphers-${process.pid}`;
  const s = fileTransferSuite({
    rules: [],
    area,
    localPrefix: 'warden-ciphers-local-',
    config: { ssh: { clientCiphers: ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com'] } },
  });

  test('scp (SFTP) downloads and uploads byte-identical, recorded with SHA-256', async () => {
    const down = randomBytes(300_001);
    writeFileSync(`${area}/down.bin`, down);
    const r = await scp(s.t.sshPort, 'alice@box', s.token, [...chacha, '-v', `127.0.0.1:${area}/down.bin`, join(s.local, 'down.bin')]);
    expect(r.code, r.stderr).toBe(0);
    expect(negotiated(r.stderr)).toBe('chacha20-poly1305@openssh.com');
    expect(readFileSync(join(s.local, 'down.bin')).equals(down)).toBe(true);
    expect(fileEvents((await endedSession(s.t, 'alice', 'box')).events)).toEqual([expect.objectContaining({ op: 'download', bytes: down.length, sha256: sha256(down) })]);

    const up = randomBytes(200_003);
    writeFileSync(join(s.local, 'up.bin'), up);
    const u = await scp(s.t.sshPort, 'alice@box', s.token, [...chacha, join(s.local, 'up.bin'), `127.0.0.1:${area}/up.bin`]);
    expect(u.code, u.stderr).toBe(0);
    expect(readFileSync(`${area}/up.bin`).equals(up)).toBe(true);
  });

  test('a default OpenSSH client then takes chacha20-poly1305, its own first choice', async () => {
    writeFileSync(`${area}/c.bin`, randomBytes(1000));
    const r = await scp(s.t.sshPort, 'alice@box', s.token, ['-v', `127.0.0.1:${area}/c.bin`, join(s.local, 'c.bin')]);
    expect(r.code, r.stderr).toBe(0);
    expect(negotiated(r.stderr)).toBe('chacha20-poly1305@openssh.com');
  });
});
