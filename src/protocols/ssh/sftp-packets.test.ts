import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../core/errors.ts';
import { encodePacket, FXP, PacketReader, SftpFramer, statusPacket, type Frame } from './sftp-packets.ts';
import { limitsFromReply, limitsReply, relayChunk } from './sftp-limits.ts';

/** What a frame stream means: each packet whole, a bulk packet's head and body joined back. */
function packetsOf(frames: Frame[]): Buffer[] {
  const out: Buffer[] = [];
  let bulk: Buffer[] | undefined;
  for (const f of frames) {
    if (f.kind === 'whole') out.push(f.packet);
    else if (f.kind === 'head') {
      if (f.bodyLength === 0) out.push(f.head);
      else bulk = [f.head];
    } else {
      bulk!.push(f.chunk);
      if (f.last) out.push(Buffer.concat(bulk!));
    }
  }
  return out;
}

/** Feeds `pieces` one by one, pulling every frame after each. */
function frameAll(f: SftpFramer, pieces: Buffer[]): Frame[] {
  const frames: Frame[] = [];
  for (const p of pieces) {
    f.push(p);
    for (let x = f.next(); x; x = f.next()) frames.push(x);
  }
  return frames;
}

function splitAt(b: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((a, z) => a - z);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, b.length]) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  return out;
}

const id = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
/** Requests a client sends: small ones, and WRITEs with a payload. */
const request = fc.oneof(
  fc.tuple(id, fc.string({ maxLength: 40 })).map(([i, p]) => encodePacket(FXP.OPEN, [i, p, 0x1a, 0])),
  fc.tuple(id, bytes(8), fc.nat(), fc.nat({ max: 100_000 })).map(([i, h, o, n]) => encodePacket(FXP.READ, [i, h, { u64: o }, n])),
  fc.tuple(id, bytes(8), fc.nat(), bytes(3000)).map(([i, h, o, d]) => encodePacket(FXP.WRITE, [i, h, { u64: o }, d])),
  fc.tuple(id, bytes(8)).map(([i, h]) => encodePacket(FXP.CLOSE, [i, h])),
);
/** Answers a server sends: statuses, handles, DATA with a payload. */
const answer = fc.oneof(
  fc.tuple(id, fc.nat({ max: 8 }), fc.string({ maxLength: 30 })).map(([i, c, m]) => statusPacket(i, c, m)),
  fc.tuple(id, bytes(8)).map(([i, h]) => encodePacket(FXP.HANDLE, [i, h])),
  fc.tuple(id, bytes(5000)).map(([i, d]) => encodePacket(FXP.DATA, [i, d])),
);

describe('SftpFramer', () => {
  it('gives the same packets however the stream is split (client side: WRITE streams)', () => {
    fc.assert(
      fc.property(fc.array(request, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (packets, cuts) => {
        const stream = Buffer.concat(packets);
        const frames = frameAll(new SftpFramer(FXP.WRITE, 256 * 1024), splitAt(stream, cuts));
        expect(packetsOf(frames)).toEqual(packets);
        // Payloads stream: only WRITE comes as head + body, and no body piece is empty.
        for (const f of frames) if (f.kind === 'head') expect(f.type).toBe(FXP.WRITE);
        for (const f of frames) if (f.kind === 'body') expect(f.chunk.length).toBeGreaterThan(0);
      }),
    );
  });

  it('gives the same packets however the stream is split (server side: DATA streams)', () => {
    fc.assert(
      fc.property(fc.array(answer, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (packets, cuts) => {
        const stream = Buffer.concat(packets);
        const f = new SftpFramer(FXP.DATA, 1024 * 1024);
        expect(packetsOf(frameAll(f, splitAt(stream, cuts)))).toEqual(packets);
        expect(f.buffered).toBe(0);
      }),
    );
  });

  it('streams a DATA payload before the packet is complete', () => {
    const f = new SftpFramer(FXP.DATA, 1024 * 1024);
    const data = encodePacket(FXP.DATA, [7, Buffer.alloc(100_000, 1)]);
    const frames = frameAll(f, [data.subarray(0, 20)]);
    expect(frames).toEqual([
      { kind: 'head', type: FXP.DATA, head: data.subarray(0, 13), bodyLength: 100_000 },
      { kind: 'body', chunk: data.subarray(13, 20), last: false },
    ]);
  });

  it('refuses a zero or oversized length and a bulk packet whose lengths disagree', () => {
    const refuse = (bulk: typeof FXP.WRITE | typeof FXP.DATA, b: Buffer) => expect(() => frameAll(new SftpFramer(bulk, 1000), [b])).toThrow(WardenError);
    refuse(FXP.WRITE, Buffer.from([0, 0, 0, 0, 3]));
    refuse(FXP.WRITE, Buffer.from([0, 0, 0x10, 0, 3]));
    const data = encodePacket(FXP.DATA, [1, Buffer.alloc(10)]);
    data.writeUInt32BE(11, 9);
    refuse(FXP.DATA, data);
    const write = encodePacket(FXP.WRITE, [1, Buffer.alloc(4), { u64: 0 }, Buffer.alloc(10)]);
    write.writeUInt32BE(200, 9); // a handle longer than the packet
    refuse(FXP.WRITE, write);
  });

  it('never throws anything but a WardenError on garbage, and never holds more than it was given', () => {
    fc.assert(
      fc.property(bytes(2000), fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (garbage, cuts, client) => {
        const f = new SftpFramer(client ? FXP.WRITE : FXP.DATA, 4096);
        let given = 0;
        try {
          for (const p of splitAt(garbage, cuts)) {
            f.push(p);
            given += p.length;
            for (let x = f.next(); x; x = f.next()) if (x.kind === 'whole') new PacketReader(x.packet).u32();
            expect(f.buffered).toBeLessThanOrEqual(given);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(WardenError);
        }
      }),
    );
  });
});

describe('PacketReader', () => {
  it('reads fields and refuses reading past the end', () => {
    const p = encodePacket(FXP.RENAME, [9, '/a', '/b']);
    const r = new PacketReader(p);
    expect([r.u32(), r.text(), r.text(), r.done]).toEqual([9, '/a', '/b', true]);
    expect(() => r.u32()).toThrow(WardenError);
    // A string whose length says 9 bytes where 1 follows.
    const short = new PacketReader(encodePacket(FXP.STAT, [1, { raw: Buffer.from([0, 0, 0, 9, 0x2f]) }]));
    short.u32();
    expect(() => short.bytes()).toThrow(WardenError);
  });

  it('gives no text for bytes that are not UTF-8 (a judged path must be the one the target sees)', () => {
    const r = new PacketReader(encodePacket(FXP.STAT, [1, Buffer.from([0x2f, 0xff, 0x61])]));
    r.u32();
    expect(r.text()).toBeUndefined();
  });
});

describe('limits@openssh.com', () => {
  it("caps the target's reads and writes and keeps its handle limit", () => {
    const reply = limitsReply(1, { maxPacketLength: 262_144, maxReadLength: 1_048_576, maxWriteLength: 1_048_576, maxOpenHandles: 19_995 });
    expect(limitsFromReply(reply)).toEqual({ maxPacketLength: 262_144, maxReadLength: relayChunk, maxWriteLength: relayChunk, maxOpenHandles: 19_995 });
    expect(limitsFromReply(limitsReply(1, { maxPacketLength: 0, maxReadLength: 0, maxWriteLength: 0, maxOpenHandles: 0 })).maxReadLength).toBe(32 * 1024);
    // OpenSSH sftp-server's own limits pass unchanged.
    const openssh = { maxPacketLength: 262_144, maxReadLength: 261_120, maxWriteLength: 261_120, maxOpenHandles: 19_995 };
    expect(limitsFromReply(limitsReply(1, openssh))).toEqual(openssh);
  });
});
