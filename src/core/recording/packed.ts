import type { PackedOut } from './packed-bytes.ts';
import type { RecordingEvent } from './types.ts';

/**
 * Packed records: a protocol's compact binary form of what it records most
 * (a relayed statement and its rows), written between the JSON lines of the
 * same recording file and turned back into events when the recording is read.
 *
 * Why: a gateway's event loop is shared by every session, so each µs of CPU
 * per statement is taken from throughput (docs/performance.md, session 16).
 * Writing a statement's JSON line and decoding its rows to strings cost more
 * per statement than everything else the relay does; copying the forwarded
 * row packets as they are costs a fraction of that. The decoding is moved to
 * where recordings are read: rarely, and off the relay's path.
 *
 * A frame: `packedMark` (a byte no JSON line starts with), the codec (u8: who
 * decodes it, `packedCodecs`), the body's length (u32 LE), the body. What a body
 * holds is the codec's own business; a codec may refer to earlier records of
 * the same recording (definitions written once), so its decoder is stateful
 * and made fresh for every read.
 */
export const packedMark = 0x1e;
export const packedHeaderBytes = 6;

/** Codec numbers, one per protocol that packs records: a number is never reused for another meaning. */
export const packedCodecs = { mysql: 1, postgres: 2 } as const;

/** Turns one recording's packed bodies (of one codec) back into events, in order. */
export interface PackedDecoder {
  /** The event `body` stands for; undefined for a record that only defines what later ones refer to. Throws on a body it cannot read. */
  decode(body: Buffer): RecordingEvent | undefined;
}

/**
 * The decoders a gateway can read packed records with, by codec number. A
 * protocol's decoder is loaded when a recording first needs it, so reading
 * costs nothing for protocols a gateway does not run.
 */
export class PackedDecoders {
  readonly #loaders = new Map<number, () => Promise<() => PackedDecoder>>();

  register(codec: number, load: () => Promise<() => PackedDecoder>): this {
    this.#loaders.set(codec, load);
    return this;
  }

  /** A fresh decoder for one read of `codec`'s records; undefined when none is registered. */
  async open(codec: number): Promise<PackedDecoder | undefined> {
    const load = this.#loaders.get(codec);
    return load === undefined ? undefined : (await load())();
  }
}

/**
 * A record a protocol hands to RecordingWriter.appendPacked: its codec, and how to write its
 * body. The writer calls `write` with `out` placed in its pending buffer, and again in a larger
 * buffer when the body did not fit (so `write` must write the same bytes every time).
 */
export interface PackedRecord {
  readonly codec: number;
  write(out: PackedOut): void;
}

/**
 * Writes `record`'s frame (mark, codec, length, body) into `buf` from `pos`, before `end`, with
 * `out`: returns where it ends, or -1 when it does not fit (the bytes from `pos` are then garbage:
 * it is written again elsewhere, whole).
 */
export function writeFrame(out: PackedOut, record: PackedRecord, buf: Buffer, pos: number, end: number): number {
  out.start(buf, pos + packedHeaderBytes, end);
  record.write(out);
  if (!out.fits) return -1;
  buf[pos] = packedMark;
  buf[pos + 1] = record.codec;
  buf.writeUInt32LE(out.pos - pos - packedHeaderBytes, pos + 2);
  return out.pos;
}
