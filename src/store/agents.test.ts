import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../core/clock.ts';
import { createAgent, verifyAgentToken } from '../tunnel/tokens.ts';
import { openStore, type Store } from './index.ts';
import { storeBackends } from './testing.ts';

describe.each(storeBackends)('agents on $name', (backend) => {
  let store: Store | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await store?.close();
    await cleanup?.();
  });

  it('stores only the hash, verifies the token, refuses after revocation', async () => {
    const s = await backend.setup();
    cleanup = s.cleanup;
    store = await openStore(s.opts);
    const clock = manualClock();
    const { token, record } = await createAgent({ agents: store.agents, clock }, 'edge');
    expect(token).toMatch(/^wda_agt_[0-9a-z]+_[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(await store.agents.list())).not.toContain(token.slice(-43));
    expect((await verifyAgentToken(store, token)).id).toBe(record.id);
    await expect(createAgent({ agents: store.agents, clock }, 'edge')).rejects.toThrow(/already exists/);

    await expect(verifyAgentToken(store, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).rejects.toThrow(/invalid agent token/);
    await expect(verifyAgentToken(store, token.replace('wda_', 'wdn_'))).rejects.toThrow(/invalid agent token/);

    await store.agents.touch(record.id, clock.now(), '0.1.0');
    expect((await store.agents.byName('edge'))?.version).toBe('0.1.0');
    expect(await store.agents.revoke('edge', clock.now())).toBe(true);
    expect(await store.agents.revoke('edge', clock.now())).toBe(false);
    await expect(verifyAgentToken(store, token)).rejects.toThrow(/invalid agent token/);
  });

  it('keeps the groups an agent serves (migration 0010), none by default, and refuses bad group names', async () => {
    const s = await backend.setup();
    cleanup = s.cleanup;
    store = await openStore(s.opts);
    const clock = manualClock();
    await createAgent({ agents: store.agents, clock }, 'east-1', ['dc1', 'pg', 'dc1']);
    await createAgent({ agents: store.agents, clock }, 'plain');
    expect((await store.agents.byName('east-1'))?.groups).toEqual(['dc1', 'pg']);
    expect((await store.agents.byName('plain'))?.groups).toEqual([]);
    await expect(createAgent({ agents: store.agents, clock }, 'x', ['bad group'])).rejects.toThrow(/agent group "bad group" is not valid/);
  });
});
