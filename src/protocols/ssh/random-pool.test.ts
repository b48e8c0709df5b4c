import { randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RandomPool, type RandomFill } from './random-pool.ts';

/** A source that fills with a counter (0, 1, 2… across calls), so each handed-out byte says where in the stream it came from. */
function countingSource() {
  let next = 0;
  const calls: number[] = [];
  const fill: RandomFill = (buf: never) => {
    const b = buf as Uint8Array;
    calls.push(b.length);
    for (let i = 0; i < b.length; i++) b[i] = next++ & 0xff;
    return b;
  };
  return { fill, calls };
}

describe('RandomPool', () => {
  it('fills exactly the asked range, from consecutive bytes of the source, each handed out once', () => {
    const source = countingSource();
    const pool = new RandomPool(source.fill, 16);
    const buf = Buffer.alloc(12, 0xee);
    expect(pool.fill(buf, 2, 5)).toBe(buf);
    expect([...buf]).toEqual([0xee, 0xee, 0, 1, 2, 3, 4, 0xee, 0xee, 0xee, 0xee, 0xee]);
    pool.fill(buf, 0, 3);
    expect([...buf.subarray(0, 3)]).toEqual([5, 6, 7]);
    expect(pool.served).toBe(8);
    expect(source.calls).toEqual([16]);
  });

  it('refills from the source when what is left is too short, and never hands out the rest twice', () => {
    const source = countingSource();
    const pool = new RandomPool(source.fill, 8);
    const a = pool.fill(Buffer.alloc(6));
    const b = pool.fill(Buffer.alloc(6));
    expect([...a]).toEqual([0, 1, 2, 3, 4, 5]);
    // Bytes 6 and 7 of the first fill are skipped, not reused: b comes from the second fill.
    expect([...b]).toEqual([8, 9, 10, 11, 12, 13]);
    expect(source.calls).toEqual([8, 8]);
  });

  it('fills from the offset to the end without a size, and the whole buffer without either', () => {
    const pool = new RandomPool(countingSource().fill, 32);
    const u8 = new Uint8Array(4);
    pool.fill(u8, 1);
    expect([...u8]).toEqual([0, 0, 1, 2]);
    pool.fill(u8);
    expect([...u8]).toEqual([3, 4, 5, 6]);
  });

  it('passes what it does not serve to the source as it was asked', () => {
    const asked: unknown[][] = [];
    const source: RandomFill = (buf, offset, size) => {
      asked.push([buf, offset, size]);
      return buf;
    };
    const pool = new RandomPool(source, 1024);
    const big = Buffer.alloc(RandomPool.maxRequest + 1);
    const wide = new Uint16Array(4);
    const view = new DataView(new ArrayBuffer(8));
    pool.fill(big);
    pool.fill(wide, 1, 2);
    pool.fill(view);
    pool.fill(Buffer.alloc(4), 3, 2);
    pool.fill(Buffer.alloc(4), -1);
    pool.fill(Buffer.alloc(4), 0.5, 1);
    expect(asked.map(([b, o, s]) => [b?.constructor.name, o, s])).toEqual([
      ['Buffer', undefined, undefined],
      ['Uint16Array', 1, 2],
      ['DataView', undefined, undefined],
      ['Buffer', 3, 2],
      ['Buffer', -1, undefined],
      ['Buffer', 0.5, 1],
    ]);
    expect(pool.served).toBe(0);
  });

  it('keeps randomFillSync’s errors for requests it passes on', () => {
    const pool = new RandomPool(randomFillSync);
    expect(() => pool.fill(Buffer.alloc(4), 3, 2)).toThrow(RangeError);
    expect(() => pool.fill(Buffer.alloc(4), -1)).toThrow(RangeError);
  });

  it('serves random bytes from the real source', () => {
    const pool = new RandomPool();
    const a = pool.fill(Buffer.alloc(32));
    const b = pool.fill(Buffer.alloc(32));
    expect(a.equals(Buffer.alloc(32))).toBe(false);
    expect(a.equals(b)).toBe(false);
    expect(pool.served).toBe(64);
  });
});
