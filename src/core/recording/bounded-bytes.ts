/**
 * Bytes written in place into a pending buffer (disk.ts) from `pos`, never at or past `end`: a
 * recording's line (line-bytes.ts) or packed record (packed.ts). A write that would pass `end`
 * writes nothing and makes every later one write nothing too: `fits` then says false, and the
 * caller takes a fresh buffer and writes the whole line or record again (one is never split, and
 * nothing is written outside its room).
 */
export class BoundedBytes {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  #end = 0;

  /** Starts at `pos` of `buf`, with room up to (not including) `end`. */
  start(buf: Buffer, pos: number, end: number): void {
    this.buf = buf;
    this.pos = pos;
    this.#end = end;
  }

  /** Whether every write since `start` fit (false: what was written is incomplete and must be written again elsewhere). */
  get fits(): boolean {
    return this.#end >= 0;
  }

  /** Whether `n` more bytes fit; when not, no later write fits either. */
  protected room(n: number): boolean {
    if (this.pos + n <= this.#end) return true;
    this.#end = -1;
    return false;
  }
}
