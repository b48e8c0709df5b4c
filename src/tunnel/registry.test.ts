import { describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.ts';
import { AgentRegistry, type AgentLink } from './registry.ts';

/** A link whose mux only counts streams: `size` is what the spread looks at. */
function fakeLink(agent: string, groups: string[], streams = 0): AgentLink & { closed: string[]; streams: number } {
  const l = {
    agent,
    agentId: `agt_${agent}`,
    groups,
    version: null,
    remoteAddress: '127.0.0.1',
    connectedAt: new Date(),
    lastHeartbeatAt: new Date(),
    streams,
    closed: [] as string[],
    mux: {
      get size() {
        return l.streams;
      },
      open: () => Promise.reject(new Error('not in this test')),
    },
    close: (_code: number, reason: string) => void l.closed.push(reason),
  };
  return l;
}

const group = (name: string) => ({ kind: 'group', name }) as const;
const agent = (name: string) => ({ kind: 'agent', name }) as const;

describe('AgentRegistry.pick', () => {
  it('serves a group from every agent in it, and only from those', () => {
    const r = new AgentRegistry(systemClock);
    const a = fakeLink('a', ['dc1']);
    const b = fakeLink('b', ['dc1', 'dc2']);
    const c = fakeLink('c', ['dc2']);
    const lone = fakeLink('lone', []);
    for (const l of [a, b, c, lone]) r.add(l);
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(r.pick(group('dc1'))!.agent);
    expect([...seen].sort()).toEqual(['a', 'b']);
    expect(r.pick(group('nope'))).toBeUndefined();
    // A group name is not an agent name, and the other way round.
    expect(r.pick(agent('dc1'))).toBeUndefined();
    expect(r.pick(group('lone'))).toBeUndefined();
    expect(r.pick(agent('lone'))).toBe(lone);
  });

  it('takes the link with the fewest streams in flight', () => {
    const r = new AgentRegistry(systemClock);
    const busy = fakeLink('busy', ['g'], 5);
    const idle = fakeLink('idle', ['g'], 1);
    r.add(busy);
    r.add(idle);
    for (let i = 0; i < 10; i++) expect(r.pick(group('g'))).toBe(idle);
    // Each session opened on the pick counts at once, so a burst fills the idle one up to the busy one, then alternates.
    const picks: string[] = [];
    for (let i = 0; i < 8; i++) {
      const l = r.pick(group('g')) as ReturnType<typeof fakeLink>;
      l.streams++;
      picks.push(l.agent);
    }
    expect(picks.slice(0, 4)).toEqual(['idle', 'idle', 'idle', 'idle']);
    expect(picks.slice(4).sort()).toEqual(['busy', 'busy', 'idle', 'idle']);
  });

  it('spreads ties in turn', () => {
    const r = new AgentRegistry(systemClock);
    const links = ['a', 'b', 'c'].map((n) => fakeLink(n, ['g']));
    for (const l of links) r.add(l);
    const counts = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const n = r.pick(group('g'))!.agent;
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    expect([...counts.values()]).toEqual([10, 10, 10]);
  });

  it('dropping one agent (revoked) leaves the group to the others', () => {
    const r = new AgentRegistry(systemClock);
    const a = fakeLink('a', ['g']);
    const b = fakeLink('b', ['g']);
    r.add(a);
    r.add(b);
    expect(r.drop('a', 'agent token revoked')).toBe(1);
    expect(a.closed).toEqual(['agent token revoked']);
    expect(b.closed).toEqual([]);
    // The link leaves the registry when its socket closes.
    r.remove(a);
    for (let i = 0; i < 5; i++) expect(r.pick(group('g'))).toBe(b);
  });

  it('waitFor a group wakes when any agent of it connects, and gives up after the wait', async () => {
    const r = new AgentRegistry(systemClock);
    const waiting = r.waitFor(group('g'), 10_000);
    r.add(fakeLink('other', ['h']));
    const member = fakeLink('m', ['g']);
    setTimeout(() => r.add(member), 20);
    expect(await waiting).toBe(member);
    expect(await r.waitFor(group('empty'), 30)).toBeUndefined();
  });
});
