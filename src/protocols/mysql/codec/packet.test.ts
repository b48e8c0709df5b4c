import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FramingError, packet, PacketFramer } from './packet.ts';

describe('MySQL packet framing', () => {
  it('reassembles packets however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.array(fc.nat(400), { maxLength: 30 }), (payloads, cuts) => {
        const wire = Buffer.concat(payloads.map((p, i) => packet(i, Buffer.from(p))));
        const framer = new PacketFramer(1 << 20);
        const got: { seq: number; payload: Buffer; raw: Buffer }[] = [];
        let off = 0;
        for (const c of cuts) {
          const end = Math.min(wire.length, off + c);
          got.push(...framer.push(wire.subarray(off, end)));
          off = end;
        }
        got.push(...framer.push(wire.subarray(off)));
        expect(got.map((p) => [...p.payload])).toEqual(payloads.map((p) => [...p]));
        expect(got.map((p) => p.seq)).toEqual(payloads.map((_, i) => i & 0xff));
        expect(Buffer.concat(got.map((p) => p.raw))).toEqual(wire);
        expect(framer.pending).toBe(0);
      }),
    );
  });

  it('joins a payload split at 16 MiB and keeps the last sequence id', () => {
    const big = Buffer.alloc(0xffffff + 10, 7);
    const wire = packet(3, big);
    expect(wire.length).toBe(big.length + 8);
    const [p] = new PacketFramer(1 << 25).push(wire);
    expect(p!.payload.equals(big)).toBe(true);
    expect([p!.seq, p!.lastSeq]).toEqual([3, 4]);
  });

  it('frames a split 16 MiB payload and the packet after it, cut anywhere', () => {
    const big = Buffer.alloc(0xffffff + 10, 7);
    const wire = Buffer.concat([packet(3, big), packet(9, Buffer.from('after'))]);
    for (const cuts of [[2], [0xffffff + 3, 0xffffff + 6], [100, 0xffffff + 14, wire.length - 3]]) {
      const framer = new PacketFramer(1 << 25);
      const got = [];
      let off = 0;
      for (const c of [...cuts, wire.length]) {
        got.push(...framer.push(wire.subarray(off, c)));
        off = c;
      }
      expect(got.map((p) => [p.seq, p.lastSeq, p.payload.length])).toEqual([[3, 4, big.length], [9, 9, 5]]);
      expect(got[0]!.payload.equals(big)).toBe(true);
      expect(framer.pending).toBe(0);
    }
  });

  it('hands out slices of a chunk of whole packets (no copy)', () => {
    const chunk = Buffer.concat([packet(0, Buffer.from('a')), packet(1, Buffer.from('bc'))]);
    const got = new PacketFramer(1 << 20).push(chunk);
    expect(got.map((p) => p.raw.buffer === chunk.buffer && p.payload.buffer === chunk.buffer)).toEqual([true, true]);
  });

  it('hands out a packet alone in its chunk as the chunk itself, and keeps fewer than 4 bytes for later', () => {
    const framer = new PacketFramer(1 << 20);
    for (const payload of ['', 'x', 'SELECT 1']) {
      const chunk = packet(0, Buffer.from(payload));
      const got = framer.push(chunk);
      expect(got.map((p) => [p.seq, p.payload.toString()])).toEqual([[0, payload]]);
      expect(got[0]!.raw).toBe(chunk);
    }
    const wire = packet(2, Buffer.from('abc'));
    expect(framer.push(wire.subarray(0, 3))).toEqual([]);
    expect(framer.pending).toBe(3);
    expect(framer.push(wire.subarray(3)).map((p) => [p.seq, p.payload.toString()])).toEqual([[2, 'abc']]);
  });

  it('refuses a packet longer than the limit instead of waiting for it', () => {
    expect(() => new PacketFramer(1024).push(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow(FramingError);
    // Also when the length arrives in pieces.
    const framer = new PacketFramer(1024);
    expect(framer.push(Buffer.from('GE'))).toEqual([]);
    expect(() => framer.push(Buffer.from('T / HTTP/1.1\r\n'))).toThrow(FramingError);
  });
});
