import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from './index.ts';
import { storeBackends } from './testing.ts';

/** Sign-in states and IdP bindings (migration 0008) on both back-ends: one-time take, compare-and-set claim. */
describe.each(storeBackends)('web login store ($name)', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const t0 = new Date('2026-01-01T00:00:00Z');
  const later = (ms: number) => new Date(t0.getTime() + ms);

  beforeEach(async () => {
    const b = await backend.setup();
    cleanup = b.cleanup;
    store = await openStore(b.opts);
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('hands a sign-in state out once, even to callbacks racing for it', async () => {
    await store.loginStates.create({ state: 's1', sealedVerifier: 'v1:sealed', nonce: 'n1', next: '/reviews/R-1', expiresAt: later(600_000) });
    const [a, b] = await Promise.all([store.loginStates.take('s1'), store.loginStates.take('s1')]);
    const taken = [a, b].filter((x) => x !== undefined);
    expect(taken).toHaveLength(1);
    expect(taken[0]).toEqual({ state: 's1', sealedVerifier: 'v1:sealed', nonce: 'n1', next: '/reviews/R-1', expiresAt: later(600_000) });
    expect(await store.loginStates.take('s1')).toBeUndefined();
    expect(await store.loginStates.take('never')).toBeUndefined();
  });

  it('purges states past their expiry only', async () => {
    await store.loginStates.create({ state: 'old', sealedVerifier: 'x', nonce: 'n', next: '/', expiresAt: later(1000) });
    await store.loginStates.create({ state: 'new', sealedVerifier: 'x', nonce: 'n', next: '/', expiresAt: later(5000) });
    expect(await store.loginStates.purgeExpired(later(1000))).toBe(1);
    expect(await store.loginStates.take('old')).toBeUndefined();
    expect(await store.loginStates.take('new')).toBeDefined();
  });

  it('lets exactly one claimer move a due re-check, and keeps rotated refresh tokens', async () => {
    await store.idpBindings.save({ tokenId: 'tok_1', userId: 'usr_1', subject: 'sub-1', sealedRefreshToken: 'r1', nextCheckAt: t0 });
    const wins = await Promise.all([store.idpBindings.claim('tok_1', t0, later(900_000)), store.idpBindings.claim('tok_1', t0, later(900_000))]);
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await store.idpBindings.claim('tok_1', t0, later(1))).toBe(false);
    await store.idpBindings.replaceRefreshToken('tok_1', 'r2');
    expect(await store.idpBindings.byTokenId('tok_1')).toEqual({ tokenId: 'tok_1', userId: 'usr_1', subject: 'sub-1', sealedRefreshToken: 'r2', nextCheckAt: later(900_000) });
    await store.idpBindings.remove('tok_1');
    expect(await store.idpBindings.byTokenId('tok_1')).toBeUndefined();
  });
});
