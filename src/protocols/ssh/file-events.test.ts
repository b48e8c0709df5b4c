import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolvePath, TransferTally } from './file-events.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('TransferTally', () => {
  it('hashes bytes that pass in order', () => {
    const t = new TransferTally();
    t.pass(0, Buffer.from('hello '));
    t.pass(6, Buffer.from('world'));
    expect(t.result()).toEqual({ bytes: 11, sequential: true, sha256: sha(Buffer.from('hello world')) });
    expect(new TransferTally().result()).toEqual({ bytes: 0, sequential: true, sha256: sha(Buffer.alloc(0)) });
  });

  it('hashes in offset order when chunks complete out of order (parallel requests)', () => {
    const t = new TransferTally();
    t.pass(4, Buffer.from('ef'));
    t.pass(2, Buffer.from('cd'));
    t.pass(0, Buffer.from('ab'));
    t.pass(6, Buffer.from('g'));
    expect(t.result()).toEqual({ bytes: 7, sequential: true, sha256: sha(Buffer.from('abcdefg')) });
  });

  it('copies a held chunk, so the caller may reuse its buffer', () => {
    const t = new TransferTally();
    const b = Buffer.from('cd');
    t.pass(2, b);
    b.fill(0);
    t.pass(0, Buffer.from('ab'));
    expect(t.result().sha256).toBe(sha(Buffer.from('abcd')));
  });

  it('gives no hash for a gap never filled, a chunk that goes back, or more held than the buffer bounds; keeps counting', () => {
    const gap = new TransferTally();
    gap.pass(0, Buffer.from('ab'));
    gap.pass(4, Buffer.from('ef'));
    expect(gap.result()).toEqual({ bytes: 4, sequential: false });
    const back = new TransferTally();
    back.pass(0, Buffer.from('abcd'));
    back.pass(2, Buffer.from('cd'));
    expect(back.result()).toEqual({ bytes: 6, sequential: false });
    const resumed = new TransferTally();
    resumed.pass(100, Buffer.from('x'));
    expect(resumed.result()).toEqual({ bytes: 1, sequential: false });
    const flood = new TransferTally();
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 1; i <= 65; i++) flood.pass(i * chunk.length, chunk);
    flood.pass(0, chunk);
    expect(flood.result()).toEqual({ bytes: 66 * chunk.length, sequential: false });
  });
});

describe('TransferTally.unseen', () => {
  it('gives no hash once bytes were written where the gateway could not see them (copy-data); keeps counting', () => {
    const t = new TransferTally();
    t.pass(0, Buffer.from('abc'));
    t.unseen();
    t.pass(3, Buffer.from('def'));
    expect(t.result()).toEqual({ bytes: 6, sequential: false });
  });
});

describe('resolvePath', () => {
  it('places relative paths in the home directory and collapses ..', () => {
    expect(resolvePath('/home/a', 'x/../y.txt')).toBe('/home/a/y.txt');
    expect(resolvePath('/home/a', '../../etc/shadow')).toBe('/etc/shadow');
    expect(resolvePath('/home/a', '/tmp/../etc/./shadow')).toBe('/etc/shadow');
    expect(resolvePath('/home/a', '/tmp/')).toBe('/tmp');
    expect(resolvePath('/home/a', '')).toBe('/home/a');
  });

  it('cannot place a relative path without a home directory, nor a path with NUL', () => {
    expect(resolvePath(undefined, 'x')).toBeUndefined();
    expect(resolvePath(undefined, '/x//y')).toBe('/x/y');
    expect(resolvePath('/h', '/x\0y')).toBeUndefined();
  });
});
