import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lenenc, lenencBytes, readLenenc, readLenencBytes, ShortPacketError } from './lenenc.ts';

describe('length-encoded values', () => {
  it('round-trip integers of every size', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(300), fc.nat(70_000), fc.nat(20_000_000), fc.maxSafeNat()), (n) => {
        expect(readLenenc(lenenc(n), 0)).toEqual({ value: n, next: lenenc(n).length });
      }),
    );
  });

  it('round-trip strings and read 0xFB as NULL', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      expect(readLenencBytes(lenencBytes(s), 0).value?.toString('utf8')).toBe(s);
    }));
    expect(readLenencBytes(Buffer.from([0xfb]), 0).value).toBeNull();
  });

  it('throws on truncated input, never reads past the end', () => {
    expect(() => readLenencBytes(Buffer.from([5, 1, 2]), 0)).toThrow(ShortPacketError);
    expect(() => readLenenc(Buffer.from([0xfc, 1]), 0)).toThrow(ShortPacketError);
    expect(() => readLenenc(Buffer.from([0xff]), 0)).toThrow(ShortPacketError);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 12 }), (b) => {
      try {
        const r = readLenencBytes(Buffer.from(b), 0);
        expect(r.next).toBeLessThanOrEqual(b.length);
      } catch (err) {
        expect(err).toBeInstanceOf(ShortPacketError);
      }
    }));
  });
});
