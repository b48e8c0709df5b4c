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

  it('gives no hash once a chunk arrives out of order, but keeps counting', () => {
    const t = new TransferTally();
    t.pass(0, Buffer.from('ab'));
    t.pass(4, Buffer.from('ef'));
    t.pass(2, Buffer.from('cd'));
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
