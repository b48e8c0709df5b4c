import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../core/clock.ts';
import { registerSshKey } from '../core/identity/ssh-keys.ts';
import { newId } from '../core/ids.ts';
import { generateEd25519Pair } from '../core/ssh-key-parser.ts';
import { openStore, type Store } from './index.ts';
import { storeBackends } from './testing.ts';

describe.each(storeBackends)('ssh keys and connection host keys on $name', (backend) => {
  let store: Store | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await store?.close();
    await cleanup?.();
  });

  it('stores keys per user, unique by fingerprint, removable by id or fingerprint; deleting the user removes them', async () => {
    const s = await backend.setup();
    cleanup = s.cleanup;
    store = await openStore(s.opts);
    const deps = { users: store.users, sshKeys: store.sshKeys, clock: manualClock() };
    const alice = await store.users.create({ id: newId('usr'), name: 'alice', createdAt: new Date() });
    const bob = await store.users.create({ id: newId('usr'), name: 'bob', createdAt: new Date() });
    const [k1, k2] = [generateEd25519Pair().public, generateEd25519Pair().public];
    const a = await registerSshKey(deps, alice, k1, 'laptop');
    // Listed oldest first; keys registered in the same instant would fall back to their random ids.
    deps.clock.advance(1000);
    const b = await registerSshKey(deps, alice, k2);
    await expect(registerSshKey(deps, bob, k1)).rejects.toThrow(/already registered/);
    expect((await store.sshKeys.listForUser(alice.id)).map((k) => k.id)).toEqual([a.id, b.id]);
    expect(await store.sshKeys.byFingerprint(a.fingerprint)).toEqual(a);
    expect(await store.sshKeys.remove(bob.id, a.id)).toBe(false);
    expect(await store.sshKeys.remove(alice.id, a.fingerprint)).toBe(true);
    expect(await store.sshKeys.remove(alice.id, a.id)).toBe(false);
    await store.users.remove(alice.id);
    expect(await store.sshKeys.byFingerprint(b.fingerprint)).toBeUndefined();
  });

  it('round-trips configured host keys on a connection; none configured reads as absent', async () => {
    const s = await backend.setup();
    cleanup = s.cleanup;
    store = await openStore(s.opts);
    const base = { type: 'ssh' as const, host: 'h', port: 22, database: null, username: 'u', sealedSecret: null, tls: 'disable' as const, tags: [], agent: null, createdAt: new Date('2026-01-01T00:00:00Z') };
    await store.connections.create({ ...base, id: newId('con'), name: 'pinned', hostKeys: ['SHA256:abc', 'ssh-ed25519 AAAA x'] });
    await store.connections.create({ ...base, id: newId('con'), name: 'tofu' });
    expect((await store.connections.byName('pinned'))?.hostKeys).toEqual(['SHA256:abc', 'ssh-ed25519 AAAA x']);
    expect((await store.connections.byName('tofu'))?.hostKeys).toBeUndefined();
    await store.connections.update('pinned', { hostKeys: [] });
    expect((await store.connections.byName('pinned'))?.hostKeys).toBeUndefined();
  });
});
