import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEd25519Pair } from '../core/ssh-key-parser.ts';
import { cachingSha2Scramble } from '../protocols/mysql/caching-sha2.ts';
import { ed25519Sign } from '../protocols/mysql/ed25519.ts';
import { nativePassword } from '../protocols/mysql/native-password.ts';
import type { TunnelStream } from '../tunnel/index.ts';
import { AgentCredentials, answerAuth } from './credentials.ts';

// The agent's MySQL and SSH answers: equal to what the gateway computes from a vaulted
// password, and never the secret itself; the SSH signer signs only a userauth request
// of its user with its key.
const stream = {} as TunnelStream;
const dir = mkdtempSync(join(tmpdir(), 'warden-agent-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ed = generateEd25519Pair();
const rsa = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 });
const server = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
writeFileSync(join(dir, 'id_ed25519'), ed.private, { mode: 0o600 });
writeFileSync(join(dir, 'server.pem'), server.publicKey);

const creds = new AgentCredentials(
  {
    'db:3306': { user: 'app', password: 'pw', serverPublicKey: 'server.pem' },
    'db:3307': { user: 'app', password: 'pw' },
    'box:22': { user: 'deploy', privateKey: 'id_ed25519' },
    'rsabox:22': { user: 'deploy', privateKey: rsa.private },
    'pwbox:22': { user: 'deploy', password: 'pw' },
  },
  dir,
);
const answer = answerAuth(creds);
const b64 = (b: Buffer) => b.toString('base64');

/** An SSH userauth publickey request as ssh2's client builds it (RFC 4252 §7). */
function userauth(o: { user: string; algorithm: string; key: Buffer; service?: string; method?: string; trailing?: Buffer }): Buffer {
  const s = (v: Buffer | string) => {
    const b = Buffer.from(v);
    const n = Buffer.alloc(4);
    n.writeUInt32BE(b.length);
    return Buffer.concat([n, b]);
  };
  return Buffer.concat([s(randomBytes(32)), Buffer.from([50]), s(o.user), s(o.service ?? 'ssh-connection'), s(o.method ?? 'publickey'), Buffer.from([1]), s(o.algorithm), s(o.key), o.trailing ?? Buffer.alloc(0)]);
}

describe('agent-held MySQL credentials', () => {
  it('answers each scramble plugin as the gateway would with the password', async () => {
    const scramble = randomBytes(20);
    const ask = async (plugin: string, s: Buffer) => Buffer.from((await answer(stream, 'db', 3306, { op: 'mysql-scramble', plugin, scramble: b64(s) }))['response'] as string, 'base64');
    expect((await ask('mysql_native_password', scramble)).equals(nativePassword('pw', scramble))).toBe(true);
    expect((await ask('caching_sha2_password', scramble)).equals(cachingSha2Scramble('pw', scramble))).toBe(true);
    const edScramble = randomBytes(32);
    expect((await ask('client_ed25519', edScramble)).equals(ed25519Sign('pw', edScramble))).toBe(true);
    await expect(ask('client_ed25519', scramble)).rejects.toThrow(/20-byte scramble/);
    await expect(ask('mysql_clear_password', scramble)).rejects.toThrow(/unknown MySQL plugin/);
  });

  it('encrypts the password only to the server key it pins', async () => {
    const nonce = randomBytes(20);
    const got = await answer(stream, 'db', 3306, { op: 'mysql-rsa-password', nonce: b64(nonce), publicKey: server.publicKey });
    const plain = privateDecrypt({ key: server.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(got['response'] as string, 'base64'));
    expect(Buffer.from(plain.map((b, i) => b ^ nonce[i % 20]!)).toString()).toBe('pw\0');
    // A key the gateway substitutes (it could decrypt with it) gets nothing.
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    await expect(answer(stream, 'db', 3306, { op: 'mysql-rsa-password', nonce: b64(nonce), publicKey: other.publicKey })).rejects.toThrow(/not the one the agent pins/);
    await expect(answer(stream, 'db', 3307, { op: 'mysql-rsa-password', nonce: b64(nonce), publicKey: server.publicKey })).rejects.toThrow(/serverPublicKey/);
  });
});

describe('agent-held SSH keys', () => {
  const key = (line: string) => {
    const k = ssh2.utils.parseKey(line);
    if (k instanceof Error || Array.isArray(k)) throw new Error('bad key');
    return k;
  };

  it('tells the user and public key, never the private key', async () => {
    const got = await answer(stream, 'box', 22, { op: 'ssh-key' });
    expect(got).toEqual({ ok: true, user: 'deploy', publicKey: `ssh-ed25519 ${ed.public.split(' ')[1]}` });
    expect(JSON.stringify(got)).not.toContain('PRIVATE');
  });

  it('signs a userauth request of its user with its key (ed25519 and RSA SHA-2), verifiable with the public key', async () => {
    const edKey = key(ed.public);
    const data = userauth({ user: 'deploy', algorithm: 'ssh-ed25519', key: edKey.getPublicSSH() });
    const sig = Buffer.from((await answer(stream, 'box', 22, { op: 'ssh-sign', data: b64(data) }))['signature'] as string, 'base64');
    expect(edKey.verify(data, sig)).toBe(true);
    const rsaKey = key(rsa.public);
    for (const [algorithm, hash] of [['rsa-sha2-256', 'sha256'], ['rsa-sha2-512', 'sha512']] as const) {
      const d = userauth({ user: 'deploy', algorithm, key: rsaKey.getPublicSSH() });
      const s = Buffer.from((await answer(stream, 'rsabox', 22, { op: 'ssh-sign', data: b64(d) }))['signature'] as string, 'base64');
      expect(rsaKey.verify(d, s, hash)).toBe(true);
      expect(rsaKey.verify(d, s, hash === 'sha256' ? 'sha512' : 'sha256')).toBe(false);
    }
  });

  it('refuses to sign anything else', async () => {
    const pub = key(ed.public).getPublicSSH();
    const sign = (data: Buffer) => answer(stream, 'box', 22, { op: 'ssh-sign', data: b64(data) });
    await expect(sign(userauth({ user: 'root', algorithm: 'ssh-ed25519', key: pub }))).rejects.toThrow(/another user/);
    await expect(sign(userauth({ user: 'deploy', algorithm: 'ssh-ed25519', key: key(rsa.public).getPublicSSH() }))).rejects.toThrow(/another key/);
    await expect(sign(userauth({ user: 'deploy', algorithm: 'rsa-sha2-256', key: pub }))).rejects.toThrow(/does not fit/);
    await expect(sign(userauth({ user: 'deploy', algorithm: 'ssh-ed25519', key: pub, method: 'hostbased' }))).rejects.toThrow(/not a publickey login/);
    await expect(sign(userauth({ user: 'deploy', algorithm: 'ssh-ed25519', key: pub, trailing: Buffer.from([0]) }))).rejects.toThrow(/trailing/);
    await expect(sign(Buffer.from('arbitrary bytes to sign'))).rejects.toThrow(/truncated|not a userauth/);
  });

  it('refuses an SSH login with a password it holds, saying why', async () => {
    await expect(answer(stream, 'pwbox', 22, { op: 'ssh-key' })).rejects.toThrow(/public-key authentication.*gateway terminates/);
    // And a key-only entry answers no password step.
    await expect(answer(stream, 'box', 22, { op: 'md5', salt: b64(randomBytes(4)) })).rejects.toThrow(/a private key, not a password/);
  });
});
