import { describe, expect, it } from 'vitest';
import { PendingLookup, sideConnectionCatalog, type SideConnection } from './side-catalog.ts';
import type { CatalogRelation, RelationName } from './views.ts';

class Conn implements SideConnection {
  ended = false;
  destroyed = false;
  constructor(readonly n: number) {}
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const names: RelationName[] = [{ schema: undefined, name: 't' }];

describe('sideConnectionCatalog', () => {
  it('opens one connection on first use, asks in order, one at a time', async () => {
    const opened: Conn[] = [];
    let inFlight = 0;
    const order: number[] = [];
    const catalog = sideConnectionCatalog(
      async () => {
        opened.push(new Conn(opened.length));
        return opened.at(-1)!;
      },
      async (c, ns) => {
        inFlight++;
        expect(inFlight).toBe(1);
        order.push(Number(ns[0]!.name));
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return [{ schema: 'public', name: ns[0]!.name, definition: undefined } satisfies CatalogRelation];
      },
    );
    const answers = await Promise.all([1, 2, 3].map((i) => catalog.relations([{ schema: undefined, name: String(i) }])));
    expect(order).toEqual([1, 2, 3]);
    expect(answers.map((a) => a[0]!.name)).toEqual(['1', '2', '3']);
    expect(opened).toHaveLength(1);
    catalog.close();
    await Promise.resolve();
    expect(opened[0]!.ended).toBe(true);
    await expect(catalog.relations(names)).rejects.toThrow('the session ended');
  });

  it('drops a connection whose lookup failed; the next lookup opens a new one', async () => {
    const opened: Conn[] = [];
    let fail = true;
    const catalog = sideConnectionCatalog(
      async () => {
        opened.push(new Conn(opened.length));
        return opened.at(-1)!;
      },
      async () => {
        if (fail) throw new Error('boom');
        return [];
      },
    );
    await expect(catalog.relations(names)).rejects.toThrow('boom');
    expect(opened[0]!.destroyed).toBe(true);
    fail = false;
    await expect(catalog.relations(names)).resolves.toEqual([]);
    expect(opened).toHaveLength(2);
  });

  it('retries once on a fresh connection only when a reused one failed in a way the caller names', async () => {
    const opened: Conn[] = [];
    const failOn = new Set<number>();
    class Gone extends Error {}
    const catalog = sideConnectionCatalog(
      async () => {
        opened.push(new Conn(opened.length));
        return opened.at(-1)!;
      },
      async (c) => {
        if (failOn.has(c.n)) throw new Gone('closed by the server');
        return [];
      },
      (err) => err instanceof Gone,
    );
    // A first connection that fails is an answer, not retried.
    failOn.add(0);
    await expect(catalog.relations(names)).rejects.toThrow('closed by the server');
    expect(opened).toHaveLength(1);
    // Connection 1 works, then the server ends it while idle: one retry on connection 2.
    await expect(catalog.relations(names)).resolves.toEqual([]);
    failOn.add(1);
    await expect(catalog.relations(names)).resolves.toEqual([]);
    expect(opened).toHaveLength(3);
  });
});

describe('PendingLookup', () => {
  it('settles once with the answer; the state is gone afterwards', async () => {
    const p = new PendingLookup<{ n: number }>();
    let timedOut = false;
    const answer = p.start({ n: 1 }, 10_000, () => (timedOut = true));
    expect(p.state).toEqual({ n: 1 });
    p.settle([['a', null]]);
    p.settle(new Error('late'));
    await expect(answer).resolves.toEqual([['a', null]]);
    expect(p.state).toBeUndefined();
    expect(timedOut).toBe(false);
  });

  it('a timeout rejects the lookup and calls onTimeout; a later answer changes nothing', async () => {
    const p = new PendingLookup<object>();
    let timedOut = false;
    const answer = p.start({}, 5, () => (timedOut = true));
    await expect(answer).rejects.toThrow('the catalog lookup timed out');
    expect(timedOut).toBe(true);
    expect(p.state).toBeUndefined();
    p.settle([]);
  });
});
