import { describe, expect, it } from 'vitest';
import { ChunkPool } from './chunk-pool.ts';

describe('ChunkPool', () => {
  it('hands a buffer given back out again instead of allocating one (sizes past the 4 KiB that Node slices from a shared pool)', () => {
    const pool = new ChunkPool(8192, 4);
    const a = pool.take();
    expect(a.length).toBe(8192);
    pool.give([a]);
    expect(pool.free).toBe(1);
    expect(pool.take()).toBe(a);
    expect(pool.free).toBe(0);
    expect(pool.take()).not.toBe(a);
  });

  it('keeps at most `keep` buffers, and only whole buffers of its size', () => {
    const pool = new ChunkPool(8192, 2);
    const whole = pool.take();
    pool.give([Buffer.allocUnsafe(4096), whole.subarray(0, 512), Buffer.allocUnsafeSlow(16384).subarray(0, 8192)]);
    expect(pool.free).toBe(0);
    pool.give([whole, pool.take(), pool.take()]);
    expect(pool.free).toBe(2);
  });
});
