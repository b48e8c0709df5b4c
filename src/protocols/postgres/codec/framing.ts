/**
 * Splits a PostgreSQL byte stream into whole messages (1-byte type, int32
 * length that counts itself, body). Hand-written because it is the relay's
 * hot path: the common case returns the incoming chunk itself, untouched and
 * uncopied, and a message larger than a chunk is assembled with one concat.
 *
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** Larger messages are refused: PostgreSQL itself caps a field at 1 GB. */
export const maxMessageLength = 1024 * 1024 * 1024;

const empty = Buffer.alloc(0);

export class FramingError extends Error {}

export class MessageFramer {
  #chunks: Buffer[] = [];
  #have = 0;
  /** Bytes the held tail needs before it holds a whole message (0: unknown yet). */
  #need = 0;

  /**
   * Adds a chunk; returns the bytes that now form whole messages (possibly
   * empty), keeping any incomplete tail for the next call.
   * Throws FramingError on an impossible length: the stream cannot be trusted after that.
   */
  push(chunk: Buffer): Buffer {
    let buf: Buffer;
    if (this.#have === 0) {
      buf = chunk;
    } else {
      this.#chunks.push(chunk);
      this.#have += chunk.length;
      if (this.#have < this.#need) return empty;
      buf = Buffer.concat(this.#chunks, this.#have);
      this.#chunks = [];
      this.#have = 0;
    }
    let off = 0;
    this.#need = 0;
    const len = buf.length;
    while (off + 5 <= len) {
      const size = buf.readInt32BE(off + 1);
      if (size < 4 || size > maxMessageLength) throw new FramingError(`invalid message length ${size}`);
      const end = off + 1 + size;
      if (end > len) {
        this.#need = end - off;
        break;
      }
      off = end;
    }
    if (off < len) {
      const tail = buf.subarray(off);
      this.#chunks.push(tail);
      this.#have = tail.length;
      if (this.#need === 0) this.#need = 5;
    }
    return off === len ? buf : buf.subarray(0, off);
  }

  /** Bytes held back waiting for the rest of a message. */
  get pending(): number {
    return this.#have;
  }
}

/** Calls `visit` for each message of a buffer of whole messages. */
export function forEachMessage(buf: Buffer, visit: (type: number, start: number, end: number) => void): void {
  let off = 0;
  while (off < buf.length) {
    const end = off + 1 + buf.readInt32BE(off + 1);
    visit(buf[off]!, off, end);
    off = end;
  }
}
