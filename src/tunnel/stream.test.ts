import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Frame } from './frames.ts';
import { TunnelStream } from './stream.ts';

/** A gateway-side stream with a 10-byte window whose frames are recorded as "type:payload". */
function stream() {
  const sent: string[] = [];
  const s = new TunnelStream(1, (f: Frame) => sent.push(f.type === 'data' ? `data:${f.data.toString()}` : f.type), 10, () => undefined);
  s.on('error', () => undefined);
  return { s, sent };
}

describe('TunnelStream writes', () => {
  it('sends within the credit at once and in order, holds the rest until the peer grants more', async () => {
    const { s, sent } = stream();
    expect(s.write(Buffer.from('abcd'))).toBe(true);
    expect(s.write(Buffer.from('efgh'))).toBe(true);
    s.write(Buffer.from('ijkl')); // 2 bytes of credit left: 'ij' now, 'kl' on the next grant
    s.write(Buffer.from('mn')); // queued behind 'kl', though credit may come back first
    expect(sent).toEqual(['data:abcd', 'data:efgh', 'data:ij']);
    s.grant(4);
    expect(sent).toEqual(['data:abcd', 'data:efgh', 'data:ij', 'data:kl', 'data:mn']);
    s.grant(10);
    expect(s.write(Buffer.from('op'))).toBe(true);
    expect(sent.at(-1)).toBe('data:op');
  });

  it('calls a write’s callback, sends nothing after end, and reports the write after end', async () => {
    const { s, sent } = stream();
    let called = false;
    s.write(Buffer.from('ab'), () => (called = true));
    await turn();
    expect(called).toBe(true);
    s.cork();
    s.write(Buffer.from('cd'));
    expect(sent).toEqual(['data:ab']); // corked: held like any Writable's writes
    s.uncork();
    expect(sent).toEqual(['data:ab', 'data:cd']);
    s.end();
    const failed = new Promise<Error>((resolve) => s.write(Buffer.from('ef'), (err) => err && resolve(err)));
    expect((await failed).message).toMatch(/write after end/);
    // (the failed write also resets the stream, as a Writable's does: an error frame follows)
    expect(sent.slice(0, 3)).toEqual(['data:ab', 'data:cd', 'end']);
    expect(sent.filter((f) => f.startsWith('data:'))).toHaveLength(2);
  });
});

describe('TunnelStream reads', () => {
  it('hands a flowing reader each chunk at once, and gives credit back a quarter window at a time', () => {
    const { s, sent } = stream();
    const got: string[] = [];
    s.on('data', (c: Buffer) => got.push(c.toString()));
    s.receive(Buffer.from('a'));
    expect(got).toEqual(['a']); // synchronously: no Readable tick in between
    expect(sent).toEqual([]); // 1 byte consumed: below a quarter of the 10-byte window
    s.receive(Buffer.from('bc'));
    expect(got).toEqual(['a', 'bc']);
    expect(sent).toEqual(['credit']);
  });

  it('buffers for a paused reader and delivers in order when it resumes, then the end', async () => {
    const { s, sent } = stream();
    const got: string[] = [];
    s.on('data', (c: Buffer) => got.push(c.toString()));
    s.pause();
    s.receive(Buffer.from('ab'));
    s.receive(Buffer.from('cd'));
    expect(got).toEqual([]);
    expect(sent).toEqual([]); // nothing consumed, so no credit
    s.resume();
    s.receive(Buffer.from('ef')); // arrives while the buffered bytes still wait for their tick
    await turn();
    expect(got.join('')).toBe('abcdef');
    expect(sent).toEqual(['credit']); // consumed once the reader took them
    s.receive(Buffer.from('g')); // flowing again, nothing buffered: at once
    expect(got.join('')).toBe('abcdefg');
    const ended = new Promise<void>((resolve) => s.on('end', resolve));
    s.remoteEnd();
    await ended;
  });

  it('resets the stream when the peer sends beyond its window, whoever reads', () => {
    const { s, sent } = stream();
    s.on('data', () => undefined);
    s.receive(Buffer.from('12345678')); // consumed at once: credit goes back, the window is whole again
    s.pause();
    s.receive(Buffer.from('12345678'));
    s.receive(Buffer.from('90'));
    expect(s.destroyed).toBe(false); // 10 unacknowledged bytes: the whole window, no more
    s.receive(Buffer.from('x'));
    expect(s.destroyed).toBe(true);
    expect(sent.at(-1)).toBe('error');
  });
});
