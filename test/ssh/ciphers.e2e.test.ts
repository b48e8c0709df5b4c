import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { endedSession } from '../helpers/gateway.ts';
import { scp } from './file-clients.ts';
import { fileEvents, fileTransferSuite, sha256 } from './file-suite.ts';

// OpenSSH's own first choice, chacha20-poly1305, is offered when ssh2's native binding is loaded
// (src/protocols/ssh/algorithms.ts): a client asking for it alone gets through, both ways.
const binding = createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js').bindingAvailable === true;
const area = `/tmp/warden-ciphers-${process.pid}`;
const s = fileTransferSuite({ rules: [], area, localPrefix: 'warden-ciphers-local-' });
const chacha = ['-c', 'chacha20-poly1305@openssh.com'];

describe.skipIf(!binding)('chacha20-poly1305 on the client leg (ssh2 native binding loaded)', () => {
  test('scp (SFTP) downloads and uploads byte-identical, recorded with SHA-256', async () => {
    const down = randomBytes(300_001);
    writeFileSync(`${area}/down.bin`, down);
    const r = await scp(s.t.sshPort, 'alice@box', s.token, [...chacha, `127.0.0.1:${area}/down.bin`, join(s.local, 'down.bin')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(s.local, 'down.bin')).equals(down)).toBe(true);
    expect(fileEvents((await endedSession(s.t, 'alice', 'box')).events)).toEqual([expect.objectContaining({ op: 'download', bytes: down.length, sha256: sha256(down) })]);

    const up = randomBytes(200_003);
    writeFileSync(join(s.local, 'up.bin'), up);
    const u = await scp(s.t.sshPort, 'alice@box', s.token, [...chacha, join(s.local, 'up.bin'), `127.0.0.1:${area}/up.bin`]);
    expect(u.code, u.stderr).toBe(0);
    expect(readFileSync(`${area}/up.bin`).equals(up)).toBe(true);
  });
});
