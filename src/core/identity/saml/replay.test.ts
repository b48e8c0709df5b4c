import { describe, expect, it } from 'vitest';
import { memorySamlState } from './replay.ts';

// The store's implementation passes the same contract on both back-ends: test/identity/saml-store.test.ts.
describe('memorySamlState', () => {
  it('refuses an assertion ID a second time until the assertion expires, then forgets it', async () => {
    const state = memorySamlState();
    const now = new Date('2026-01-01T00:00:00Z');
    const until = new Date(now.getTime() + 60_000);
    expect(await state.assertionUsed('_a1', now)).toBe(false);
    expect(await state.useAssertion('_a1', now, until)).toBe(true);
    expect(await state.assertionUsed('_a1', now)).toBe(true);
    expect(await state.useAssertion('_a1', now, until)).toBe(false);
    expect(await state.useAssertion('_a2', now, until)).toBe(true);
    expect(await state.assertionUsed('_a1', until)).toBe(false);
  });

  it('finds a pending request until it expires or is removed', async () => {
    const state = memorySamlState();
    const now = new Date('2026-01-01T00:00:00Z');
    await state.saveRequest('_r1', now, new Date(now.getTime() + 1000));
    await state.saveRequest('_r2', now, new Date(now.getTime() + 1000));
    expect(await state.findRequest('_r1', now)).toEqual(now);
    await state.removeRequest('_r1');
    expect(await state.findRequest('_r1', now)).toBeUndefined();
    expect(await state.findRequest('_r2', new Date(now.getTime() + 1000))).toBeUndefined();
  });
});
