import { Writable } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { coalesceWrites } from './coalesce.ts';

/** A writable that records each underlying write (one entry per syscall a socket would make). */
function recorder() {
  const writes: string[][] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      writes.push([chunk.toString()]);
      cb();
    },
    writev(chunks, cb) {
      writes.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      cb();
    },
  });
  return { w, writes };
}

describe('coalesceWrites', () => {
  it('sends what was written in one event-loop turn as one write, in order, and the next turn separately', async () => {
    const { w, writes } = recorder();
    const batch = coalesceWrites(w);
    for (const s of ['a', 'b', 'c']) {
      batch();
      w.write(s);
    }
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual([['a', 'b', 'c']]);
    batch();
    w.write('d');
    await turn();
    expect(writes).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('leaves nothing behind when the stream ends in the same turn', async () => {
    const { w, writes } = recorder();
    const batch = coalesceWrites(w);
    batch();
    w.write('x');
    w.end('y');
    await turn();
    expect(writes.flat()).toEqual(['x', 'y']);
    expect(w.writableFinished).toBe(true);
  });
});
