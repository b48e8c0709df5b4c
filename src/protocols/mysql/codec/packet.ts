/**
 * MySQL packet framing: every message is a 3-byte little-endian payload
 * length, a 1-byte sequence id, then the payload. A payload of exactly
 * 0xFFFFFF bytes continues in the next packet; the logical packet ends with
 * the first shorter one.
 *
 * @see https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html
 */

/** The largest payload one physical packet carries. */
export const maxPayload = 0xffffff;

export class FramingError extends Error {}

/** One logical packet: its payload (continuations joined), first sequence id, and its raw bytes on the wire. */
export interface Packet {
  seq: number;
  /** Sequence id of the last physical packet (differs from `seq` only for split payloads). */
  lastSeq: number;
  payload: Buffer;
  raw: Buffer;
}

/** Builds one packet; payloads of 16 MiB or more are split as the protocol requires. */
export function packet(seq: number, payload: Buffer): Buffer {
  if (payload.length < maxPayload) {
    const head = Buffer.allocUnsafe(4);
    head.writeUIntLE(payload.length, 0, 3);
    head[3] = seq & 0xff;
    return Buffer.concat([head, payload]);
  }
  const parts: Buffer[] = [];
  let off = 0;
  for (;;) {
    const len = Math.min(maxPayload, payload.length - off);
    const head = Buffer.allocUnsafe(4);
    head.writeUIntLE(len, 0, 3);
    head[3] = seq++ & 0xff;
    parts.push(head, payload.subarray(off, off + len));
    off += len;
    if (len < maxPayload) return Buffer.concat(parts);
  }
}

/**
 * Splits a byte stream into logical packets. `maxLogical` bounds what one
 * logical packet may hold; a larger claim throws FramingError (the stream
 * cannot be trusted after that).
 */
export class PacketFramer {
  /** Pieces of an incomplete packet (slices of the chunks it came in), joined once it is whole. */
  #held: Buffer[] = [];
  #heldLength = 0;
  readonly #maxLogical: number;

  constructor(maxLogical: number) {
    this.#maxLogical = maxLogical;
  }

  /**
   * The whole packets `chunk` completes, in order; an incomplete tail is kept
   * for the next push. Payloads and raw bytes are slices of the chunk, so a
   * chunk of whole packets is never copied; a packet cut across chunks is
   * copied once, when its last byte arrives.
   */
  push(chunk: Buffer): Packet[] {
    // A command usually comes alone in its chunk: that packet goes out in an array of its size
    // (pushed into an empty array, it would reserve room for 17).
    const alone = this.#heldLength === 0 ? this.#whole(chunk, 0) : -1;
    if (alone >= 0 && alone === chunk.length - 4) return [new SlicedPacket(chunk, 0, alone)];
    const out: Packet[] = [];
    let buf = chunk;
    if (this.#heldLength > 0) {
      const rest = this.#completeHeld(chunk, out);
      if (rest === undefined) return out;
      buf = rest;
    }
    let off = 0;
    for (;;) {
      // The common case inline (one physical packet, whole): no wrapper object per packet.
      const len = this.#whole(buf, off);
      if (len >= 0) {
        out.push(new SlicedPacket(buf, off, len));
        off += 4 + len;
        continue;
      }
      if (buf.length - off < 4) break;
      const p = takePacket(buf, off, this.#maxLogical);
      if (!p) break;
      out.push(p.packet);
      off = p.end;
    }
    if (off < buf.length) this.#hold(buf.subarray(off));
    return out;
  }

  /** The payload length of a whole single-part packet at `off` of `buf`; -1 when none starts there (cut, split in parts, or over the limit). */
  #whole(buf: Buffer, off: number): number {
    if (buf.length - off < 4) return -1;
    const len = buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16);
    return len < maxPayload && len <= this.#maxLogical && buf.length - off - 4 >= len ? len : -1;
  }

  /** Bytes received and not yet part of a whole packet. */
  get pending(): number {
    return this.#heldLength;
  }

  /** Hands over (and forgets) the incomplete tail. */
  takeRest(): Buffer {
    const rest = this.#held.length === 1 ? this.#held[0]! : Buffer.concat(this.#held, this.#heldLength);
    this.#held = [];
    this.#heldLength = 0;
    return rest;
  }

  #hold(piece: Buffer): void {
    this.#held.push(piece);
    this.#heldLength += piece.length;
  }

  /**
   * Feeds the held packet from the start of `chunk`: pushes it to `out` when
   * it is whole and returns the rest of the chunk; undefined when the chunk
   * was all taken. A packet of 16 MiB or more (split in several physical
   * packets) is joined with the rest of the chunk and framed as one buffer.
   */
  #completeHeld(chunk: Buffer, out: Packet[]): Buffer | undefined {
    let used = 0;
    if (this.#heldLength < 4) {
      used = Math.min(4 - this.#heldLength, chunk.length);
      this.#hold(chunk.subarray(0, used));
      if (this.#heldLength < 4) return undefined;
    }
    const head = this.#held.length === 1 ? this.#held[0]! : Buffer.concat(this.#held, this.#heldLength);
    if (this.#held.length > 1) this.#held = [head];
    const len = head[0]! | (head[1]! << 8) | (head[2]! << 16);
    if (len > this.#maxLogical) throw new FramingError(`packet of ${len} bytes exceeds the limit of ${this.#maxLogical}`);
    if (len >= maxPayload) return Buffer.concat([this.takeRest(), chunk.subarray(used)]);
    const take = Math.min(4 + len - this.#heldLength, chunk.length - used);
    this.#hold(chunk.subarray(used, used + take));
    used += take;
    if (this.#heldLength < 4 + len) return undefined;
    const whole = this.takeRest();
    out.push({ seq: whole[3]!, lastSeq: whole[3]!, payload: whole.subarray(4), raw: whole });
    return chunk.subarray(used);
  }
}

/**
 * A whole single-packet message inside a received chunk. Its raw bytes are
 * sliced only when asked for: the relay forwards the target's answers as
 * the chunk itself, and reads only the payload of each packet.
 */
class SlicedPacket implements Packet {
  readonly seq: number;
  readonly payload: Buffer;
  readonly #chunk: Buffer;
  readonly #start: number;

  constructor(chunk: Buffer, start: number, length: number) {
    this.seq = chunk[start + 3]!;
    this.payload = chunk.subarray(start + 4, start + 4 + length);
    this.#chunk = chunk;
    this.#start = start;
  }

  get lastSeq(): number {
    return this.seq;
  }

  get raw(): Buffer {
    const end = this.#start + 4 + this.payload.length;
    // A command usually arrives alone in its chunk: the chunk itself, no new view of it.
    if (this.#start === 0 && end === this.#chunk.length) return this.#chunk;
    return this.#chunk.subarray(this.#start, end);
  }
}

/**
 * The logical packet starting at `start` of `buf`, or undefined when `buf`
 * does not hold all of it yet. Throws FramingError when it claims more than
 * `maxLogical` bytes.
 */
export function takePacket(buf: Buffer, start: number, maxLogical: number): { packet: Packet; end: number } | undefined {
  let off = start;
  let total = 0;
  const pieces: Buffer[] = [];
  let seq = -1;
  let lastSeq = 0;
  for (;;) {
    if (buf.length - off < 4) return undefined;
    const len = buf.readUIntLE(off, 3);
    total += len;
    if (total > maxLogical) throw new FramingError(`packet of ${total} bytes exceeds the limit of ${maxLogical}`);
    if (buf.length - off - 4 < len) return undefined;
    if (seq < 0) seq = buf[off + 3]!;
    lastSeq = buf[off + 3]!;
    pieces.push(buf.subarray(off + 4, off + 4 + len));
    off += 4 + len;
    if (len < maxPayload) break;
  }
  const payload = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  return { packet: { seq, lastSeq, payload, raw: buf.subarray(start, off) }, end: off };
}
