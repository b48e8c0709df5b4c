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
  #buf: Buffer = Buffer.alloc(0);
  readonly #maxLogical: number;

  constructor(maxLogical: number) {
    this.#maxLogical = maxLogical;
  }

  push(chunk: Buffer): Packet[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: Packet[] = [];
    let off = 0;
    for (;;) {
      const p = this.#next(off);
      if (!p) break;
      out.push(p.packet);
      off = p.end;
    }
    this.#buf = off === this.#buf.length ? Buffer.alloc(0) : this.#buf.subarray(off);
    return out;
  }

  /** Bytes received and not yet part of a whole packet. */
  get pending(): number {
    return this.#buf.length;
  }

  /** Hands over (and forgets) the incomplete tail. */
  takeRest(): Buffer {
    const rest = this.#buf;
    this.#buf = Buffer.alloc(0);
    return rest;
  }

  #next(start: number): { packet: Packet; end: number } | undefined {
    return takePacket(this.#buf, start, this.#maxLogical);
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
