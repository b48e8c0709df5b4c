import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../store/index.ts';
import { manualClock } from '../clock.ts';
import { generateEd25519Pair } from '../ssh-key-parser.ts';
import { WardenError } from '../errors.ts';
import { newId } from '../ids.ts';
import { registerSshKey, sshFingerprint, verifySshKey, type SshKeyDeps } from './ssh-keys.ts';
import type { User } from './types.ts';

let dir: string;
let store: Store;
let deps: SshKeyDeps;
let alice: User;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-sshkeys-'));
  store = await openStore({ url: '', sqlitePath: join(dir, 'warden.db'), pgSchema: 'unused' });
  deps = { users: store.users, sshKeys: store.sshKeys, clock: manualClock() };
  alice = await store.users.create({ id: newId('usr'), name: 'alice', createdAt: new Date() });
  await store.users.create({ id: newId('usr'), name: 'bob', createdAt: new Date() });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A key pair and a signature over `data` made with it, as an SSH client would send. */
function signed(data: Buffer) {
  const pair = generateEd25519Pair('alice@laptop');
  const priv = ssh2.utils.parseKey(pair.private) as ssh2.ParsedKey;
  return { pub: pair.public, blob: priv.getPublicSSH(), signature: priv.sign(data) };
}

const reasonOf = async (p: Promise<unknown>) => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WardenError);
  expect((err as WardenError).kind).toBe('access_denied');
  return ((err as WardenError).cause as { reason: string }).reason;
};

describe('SSH key login', () => {
  const data = Buffer.from('session id + userauth request');

  it('accepts a good signature by a key registered to the named user', async () => {
    const k = signed(data);
    const record = await registerSshKey(deps, alice, k.pub);
    expect(record).toMatchObject({ name: 'alice@laptop', algo: 'ssh-ed25519' });
    expect((await verifySshKey(deps, 'alice', k.blob, { signed: data, signature: k.signature })).user.name).toBe('alice');
    // The query ("may I sign with this?") needs no signature.
    expect((await verifySshKey(deps, 'alice', k.blob)).tokenId).toBe(record.id);
  });

  it('refuses a bad signature, another user, and an unknown key', async () => {
    const k = signed(data);
    await registerSshKey(deps, alice, k.pub);
    const tampered = Buffer.from(k.signature);
    tampered[tampered.length - 1]! ^= 1;
    expect(await reasonOf(verifySshKey(deps, 'alice', k.blob, { signed: data, signature: tampered }))).toBe('bad_signature');
    expect(await reasonOf(verifySshKey(deps, 'alice', k.blob, { signed: Buffer.from('other data'), signature: k.signature }))).toBe('bad_signature');
    expect(await reasonOf(verifySshKey(deps, 'bob', k.blob, { signed: data, signature: k.signature }))).toBe('user_mismatch');
    expect(await reasonOf(verifySshKey(deps, 'alice', signed(data).blob))).toBe('unknown_key');
  });

  it('refuses a disabled user and keys that are not public keys', async () => {
    const k = signed(data);
    await registerSshKey(deps, alice, k.pub);
    await store.users.update(alice.id, { disabledAt: new Date() });
    expect(await reasonOf(verifySshKey(deps, 'alice', k.blob, { signed: data, signature: k.signature }))).toBe('user_disabled');
    const pair = generateEd25519Pair();
    await expect(registerSshKey(deps, alice, pair.private)).rejects.toThrow(/PRIVATE key/);
    await expect(registerSshKey(deps, alice, 'ssh-ed25519 garbage')).rejects.toThrow(/not an SSH public key/);
  });

  it('a deleted user takes their keys along', async () => {
    const k = signed(data);
    await registerSshKey(deps, alice, k.pub);
    await store.users.remove(alice.id);
    expect(await store.sshKeys.byFingerprint(sshFingerprint(k.blob))).toBeUndefined();
  });
});
