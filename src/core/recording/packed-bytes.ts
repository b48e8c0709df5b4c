import { BoundedBytes } from './bounded-bytes.ts';
import type { PackedRecord } from './packed.ts';

/**
 * Where a packed body's bytes go: unsigned varints (LEB128), doubles, bytes and strings, written
 * in place as BoundedBytes says (a body that does not fit is written again in a larger buffer).
 * In place because a record copied into the pending buffer from a scratch buffer of its own cost
 * a ranged copy and a view per part, more than writing its few fields twice.
 */
export class PackedOut extends BoundedBytes {
  u8(n: number): void {
    if (this.room(1)) this.buf[this.pos++] = n;
  }

  /** A non-negative integer up to 2^53. */
  varint(n: number): void {
    if (!this.room(n < 0x80 ? 1 : 8)) return;
    const buf = this.buf;
    let pos = this.pos;
    while (n >= 0x80) {
      buf[pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  f64(n: number): void {
    if (this.room(8)) this.pos = this.buf.writeDoubleLE(n, this.pos);
  }

  /** All of `src`, length first (varint): one `set`, the cheapest copy there is of a whole buffer. */
  sized(src: Uint8Array): void {
    const n = src.length;
    this.varint(n);
    if (!this.room(n)) return;
    this.buf.set(src, this.pos);
    this.pos += n;
  }

  /** A string as UTF-8, length first (varint). */
  string(s: string): void {
    const length = s.length;
    // Short ASCII is copied here, as LineBytes.string does (an encoder call costs ~50 ns whatever the length).
    if (length < shortString && this.room(length + 1)) {
      const { buf, pos } = this;
      let i = 0;
      for (; i < length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[pos + 1 + i] = c;
      }
      if (i === length) {
        buf[pos] = length;
        this.pos = pos + 1 + length;
        return;
      }
    }
    const n = Buffer.byteLength(s);
    this.varint(n);
    if (this.room(n)) this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }
}

/** Strings shorter than this (and a varint of one byte) are copied character by character when ASCII. */
const shortString = 24;

/** Reads what PackedOut wrote, in the same order; throws RangeError past the end. */
export class PackedReader {
  readonly #buf: Buffer;
  pos = 0;

  constructor(buf: Buffer) {
    this.#buf = buf;
  }

  get done(): boolean {
    return this.pos >= this.#buf.length;
  }

  u8(): number {
    this.#need(1);
    return this.#buf[this.pos++]!;
  }

  varint(): number {
    let n = 0;
    for (let scale = 1; ; scale *= 0x80) {
      const b = this.u8();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      if (scale > 2 ** 49) throw new RangeError('packed record: varint too long');
    }
  }

  f64(): number {
    this.#need(8);
    const n = this.#buf.readDoubleLE(this.pos);
    this.pos += 8;
    return n;
  }

  /** Bytes written by `sized` (a view into the body). */
  sized(): Buffer {
    const n = this.varint();
    this.#need(n);
    this.pos += n;
    return this.#buf.subarray(this.pos - n, this.pos);
  }

  string(): string {
    return this.sized().toString('utf8');
  }

  #need(n: number): void {
    if (this.pos + n > this.#buf.length) throw new RangeError('packed record: ends early');
  }
}

/** A record's body on its own (for writers without a pending buffer, and tests). */
export function packedBody(record: PackedRecord): Buffer {
  const out = new PackedOut();
  for (let size = 256; ; size *= 2) {
    out.start(Buffer.allocUnsafe(size), 0, size);
    record.write(out);
    if (out.fits) return out.buf.subarray(0, out.pos);
  }
}
