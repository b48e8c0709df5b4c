import { describe, expect, it } from 'vitest';
import { sameBytes } from './same-bytes.ts';

describe('sameBytes', () => {
  it('says whether the bytes from the offset are the known ones, short or long', () => {
    for (const n of [0, 3, 34, 256, 257, 600]) {
      const known = Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) & 0xff));
      const buf = Buffer.concat([Buffer.from([9, 9]), known, Buffer.from([9])]);
      expect(sameBytes(buf, 2, known)).toBe(true);
      if (n === 0) continue;
      const changed = Buffer.from(buf);
      changed[2 + n - 1]! ^= 1;
      expect(sameBytes(changed, 2, known)).toBe(false);
      expect(sameBytes(buf, 1, known)).toBe(false);
    }
  });

  it('is false where the known bytes would run past the buffer', () => {
    const known = Buffer.from('abcdef');
    expect(sameBytes(Buffer.from('xxabc'), 2, known)).toBe(false);
    expect(sameBytes(Buffer.alloc(300), 10, Buffer.alloc(300))).toBe(false);
  });
});
