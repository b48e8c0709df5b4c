import { WardenError } from '../../core/errors.ts';

/**
 * SFTP version 3 framing, and the few packets the gateway reads or writes
 * itself. Pure: no sockets, no policy.
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-secsh-filexfer-02
 *   (version 3, what OpenSSH speaks): every packet is `uint32 length`,
 *   `byte type`, then (all but INIT/VERSION) `uint32 request-id`.
 */

export const FXP = {
  INIT: 1, VERSION: 2, OPEN: 3, CLOSE: 4, READ: 5, WRITE: 6, LSTAT: 7, FSTAT: 8, SETSTAT: 9, FSETSTAT: 10,
  OPENDIR: 11, READDIR: 12, REMOVE: 13, MKDIR: 14, RMDIR: 15, REALPATH: 16, STAT: 17, RENAME: 18, READLINK: 19, SYMLINK: 20,
  STATUS: 101, HANDLE: 102, DATA: 103, NAME: 104, ATTRS: 105, EXTENDED: 200, EXTENDED_REPLY: 201,
} as const;

export const FX = { OK: 0, EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, BAD_MESSAGE: 5, OP_UNSUPPORTED: 8 } as const;

/** SSH_FXP_OPEN pflags. */
export const FXF = { READ: 0x01, WRITE: 0x02, APPEND: 0x04, CREAT: 0x08, TRUNC: 0x10, EXCL: 0x20 } as const;

/**
 * One step of a packet stream. Most packets come `whole` (length prefix
 * included); the one bulk type of a direction (WRITE from clients, DATA
 * from servers) comes as its `head` (every field before the payload) then
 * `body` pieces as they arrive, so payload bytes pass without waiting for
 * the whole packet.
 */
export type Frame =
  | { kind: 'whole'; type: number; packet: Buffer }
  | { kind: 'head'; type: number; head: Buffer; bodyLength: number }
  | { kind: 'body'; chunk: Buffer; last: boolean };

const bad = (why: string) => new WardenError('bad_request', `sftp: ${why}`);

/**
 * Cuts a byte stream into frames, pulled one at a time (`next()`), so the
 * caller can stop between packets (while a policy decision is pending) and
 * carry on later. Holds only the bytes pushed and not yet pulled; body
 * pieces are views of the pushed chunks, never copies.
 * Throws a WardenError (bad_request) on a length of 0, over `maxLength`,
 * or a bulk packet whose own fields disagree with its length.
 */
export class SftpFramer {
  readonly #maxLength: number;
  /** WRITE for a client's stream, DATA for a server's. */
  readonly #bulk: typeof FXP.WRITE | typeof FXP.DATA;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Payload bytes of the current bulk packet still to come. */
  #body = 0;

  constructor(bulk: typeof FXP.WRITE | typeof FXP.DATA, maxLength: number) {
    this.#bulk = bulk;
    this.#maxLength = maxLength;
  }

  /** Bytes pushed and not yet pulled. */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next frame, or undefined until more bytes are pushed. */
  next(): Frame | undefined {
    if (this.#body > 0) {
      if (this.#buffered === 0) return undefined;
      const chunk = this.#take(Math.min(this.#body, this.#chunks[0]!.length));
      this.#body -= chunk.length;
      return { kind: 'body', chunk, last: this.#body === 0 };
    }
    if (this.#buffered < 5) return undefined;
    const start = this.#peek(5);
    const length = start.readUInt32BE(0);
    const type = start[4]!;
    if (length === 0) throw bad('a packet of length 0');
    if (length > this.#maxLength) throw bad(`a packet of ${length} bytes, over the ${this.#maxLength} allowed`);
    if (type !== this.#bulk) {
      if (this.#buffered < 4 + length) return undefined;
      return { kind: 'whole', type, packet: this.#take(4 + length) };
    }
    const headLength = this.#headLength(length);
    if (headLength === undefined) return undefined;
    const head = this.#take(headLength);
    this.#body = 4 + length - headLength;
    return { kind: 'head', type, head, bodyLength: this.#body };
  }

  /** The length of a bulk packet's head, once enough of it is here; checks it against the packet's length. */
  #headLength(length: number): number | undefined {
    // DATA: length, type, id, uint32 data length. WRITE: length, type, id, string handle, uint64 offset, uint32 data length.
    let head = 13;
    if (length + 4 < head) throw bad('a truncated packet');
    if (this.#bulk === FXP.WRITE) {
      if (this.#buffered < 13) return undefined;
      head = 13 + this.#peek(13).readUInt32BE(9) + 12;
      if (length + 4 < head) throw bad('a truncated WRITE');
    }
    if (this.#buffered < head) return undefined;
    const dataLength = this.#peek(head).readUInt32BE(head - 4);
    if (dataLength !== length + 4 - head) throw bad("a packet whose data length disagrees with the packet's");
    return head;
  }

  /** The first n buffered bytes (n ≤ buffered), not consumed. */
  #peek(n: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.#chunks, Math.min(this.#buffered, n)).subarray(0, n);
  }

  /** Consumes the first n buffered bytes (n ≤ buffered): a view when they lie in one chunk. */
  #take(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[0]!;
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.#chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let p = 0;
    while (p < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.length, n - p);
      c.copy(out, p, 0, k);
      p += k;
      if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    return out;
  }
}

/** Reads the fields of one packet after its length and type; throws a WardenError (bad_request) past its end. */
export class PacketReader {
  readonly #b: Buffer;
  #p: number;

  constructor(packet: Buffer, from = 5) {
    this.#b = packet;
    this.#p = from;
  }

  get offset(): number {
    return this.#p;
  }

  get done(): boolean {
    return this.#p >= this.#b.length;
  }

  u32(): number {
    this.#need(4);
    const v = this.#b.readUInt32BE(this.#p);
    this.#p += 4;
    return v;
  }

  u64(): number {
    this.#need(8);
    const v = this.#b.readBigUInt64BE(this.#p);
    this.#p += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('an offset beyond 2^53');
    return Number(v);
  }

  bytes(): Buffer {
    const n = this.u32();
    this.#need(n);
    const v = this.#b.subarray(this.#p, this.#p + n);
    this.#p += n;
    return v;
  }

  /** A string as UTF-8; undefined when its bytes are not valid UTF-8 (then a judged path would differ from the target's). */
  text(): string | undefined {
    const raw = this.bytes();
    const s = raw.toString('utf8');
    return Buffer.byteLength(s) === raw.length && Buffer.from(s).equals(raw) ? s : undefined;
  }

  /** Every byte after what was read. */
  rest(): Buffer {
    return this.#b.subarray(this.#p);
  }

  #need(n: number): void {
    if (this.#p + n > this.#b.length) throw bad('a truncated packet');
  }
}

export type Field = number | string | Buffer | { u64: number } | { raw: Buffer };

/** One packet: `type`, then each field (number: uint32, string/Buffer: length-prefixed string, u64, raw bytes as they are). */
export function encodePacket(type: number, fields: readonly Field[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(5)];
  for (const f of fields) {
    if (typeof f === 'number') parts.push(u32(f));
    else if (typeof f === 'string' || Buffer.isBuffer(f)) {
      const b = typeof f === 'string' ? Buffer.from(f) : f;
      parts.push(u32(b.length), b);
    } else if ('u64' in f) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(BigInt(f.u64));
      parts.push(b);
    } else parts.push(f.raw);
  }
  const out = Buffer.concat(parts);
  out.writeUInt32BE(out.length - 4, 0);
  out[4] = type;
  return out;
}

/** SSH_FXP_STATUS: id, code, message, language tag (empty). */
export function statusPacket(id: number, code: number, message = ''): Buffer {
  return encodePacket(FXP.STATUS, [id, code, message, '']);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
