import { copyBytes } from './message.ts';

/**
 * The outgoing copy of one incoming chunk of messages when the gateway
 * replaces some of them (a masked DataRow, a rewritten error): unchanged runs
 * are copied once and each replacement is written in place, into one buffer
 * per chunk. Cutting the chunk into sub-buffers and `Buffer.concat`-ing them
 * cost a Buffer object per piece on masking's per-row path (docs/performance.md).
 *
 * One per relay direction, reused: `begin` for each chunk, `replace`/`reserve`
 * in message order, then `finish` for the bytes to send (the chunk itself when
 * nothing was replaced).
 */
const empty = Buffer.alloc(0);

export class ChunkWriter {
  #src: Buffer = empty;
  /** Undefined until the first replacement: a chunk that passes unchanged is never copied. */
  #out: Buffer | undefined;
  #at = 0;
  /** Where the next unchanged run of `#src` starts. */
  #from = 0;

  begin(src: Buffer): void {
    this.#src = src;
    this.#out = undefined;
    this.#at = 0;
    this.#from = 0;
  }

  /** Some message of the chunk was replaced. */
  get changed(): boolean {
    return this.#out !== undefined;
  }

  /** The buffer `reserve` returned an offset into (valid until the next `reserve`). */
  get buffer(): Buffer {
    return this.#out!;
  }

  /**
   * Room for a `size`-byte message in place of the chunk's bytes `[start, end)` (messages in
   * order): returns the offset in `buffer` to write it at; the caller writes exactly `size` bytes.
   */
  reserve(start: number, end: number, size: number): number {
    const src = this.#src;
    const run = start - this.#from;
    // Enough for everything still to come if no other message grows: one allocation per chunk, as a rule.
    const need = this.#at + run + size + (src.length - end);
    let out = this.#out;
    if (out === undefined || out.length < need) {
      const grown = Buffer.allocUnsafe(out === undefined ? need : Math.max(need, out.length * 2));
      if (out !== undefined) copyBytes(out, 0, this.#at, grown, 0);
      this.#out = out = grown;
    }
    if (run > 0) this.#at += copyBytes(src, this.#from, start, out, this.#at);
    const at = this.#at;
    this.#at += size;
    this.#from = end;
    return at;
  }

  /** `message` in place of the chunk's bytes `[start, end)`. */
  replace(start: number, end: number, message: Buffer): void {
    const at = this.reserve(start, end, message.length);
    copyBytes(message, 0, message.length, this.#out!, at);
  }

  /** The bytes to send: the chunk as it came when nothing was replaced. */
  finish(): Buffer {
    const out = this.#out;
    if (out === undefined) return this.#src;
    const src = this.#src;
    if (this.#from < src.length) this.#at += copyBytes(src, this.#from, src.length, out, this.#at);
    this.#out = undefined;
    this.#src = empty;
    return this.#at === out.length ? out : out.subarray(0, this.#at);
  }
}
