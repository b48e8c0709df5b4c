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
  it('sends what was sent in one event-loop turn as one write, in order, and the next turn separately', async () => {
    const { w, writes } = recorder();
    const send = coalesceWrites(w, () => true);
    for (const s of ['a', 'b', 'c']) send(Buffer.from(s));
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual([['abc']]);
    send(Buffer.from('d'));
    await turn();
    expect(writes).toEqual([['abc'], ['d']]);
  });

  it('writes a turn of more than 64 KiB as a writev of its messages, not a copy', async () => {
    const { w, writes } = recorder();
    const send = coalesceWrites(w, () => true);
    const big = 'x'.repeat(40_000);
    send(Buffer.from(big));
    send(Buffer.from(big));
    await turn();
    expect(writes).toEqual([[big, big]]);
  });

  it('never writes after the link stopped being open, such as after a close frame ws wrote in that turn', async () => {
    const { w, writes } = recorder();
    let open = true;
    const send = coalesceWrites(w, () => open);
    send(Buffer.from('a'));
    await turn();
    send(Buffer.from('b'));
    open = false; // ws.close(): CLOSING, and its close frame goes out at once
    w.write(Buffer.from('CLOSE'));
    send(Buffer.from('c'));
    await turn();
    expect(writes.flat()).toEqual(['a', 'CLOSE']);
  });

  it('takes nothing while the link is not open, and drops a turn whose link closed without a write', async () => {
    const { w, writes } = recorder();
    let open = false;
    const send = coalesceWrites(w, () => open);
    send(Buffer.from('before'));
    open = true;
    send(Buffer.from('held'));
    open = false; // terminated: no close frame was written
    await turn();
    expect(writes).toEqual([]);
  });
});
