/**
 * Reusable buffers for recording lines waiting to be written (disk.ts), one
 * pool per recording storage, shared by its writers.
 *
 * Why: V8 counts the memory of every Buffer that outlives a young-generation
 * GC against the old generation's limit until the next full GC. Pending lines
 * live up to a flush interval, so fresh 64 KiB buffers for each interval's
 * lines (several MB a second under sysbench) crossed that limit about twice a
 * second and each time cost a full mark-compact. Buffers handed back after
 * their write are taken again instead, so a steady load allocates none.
 *
 * Contract: `take` returns a buffer of exactly `size` bytes whose contents are
 * garbage; `give` must only be called once nothing reads the buffer any more
 * (its write has completed). At most `keep` buffers wait in the pool: a burst
 * beyond that is left to the GC as before.
 */
export class ChunkPool {
  readonly size: number;
  readonly #keep: number;
  readonly #free: Buffer[] = [];

  constructor(size: number, keep: number) {
    this.size = size;
    this.#keep = keep;
  }

  /** A buffer of `size` bytes: a pooled one when there is one. */
  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafe(this.size);
  }

  /** Hands back buffers whose bytes are no longer needed; other sizes (and any beyond `keep`) are dropped. */
  give(buffers: readonly Buffer[]): void {
    for (const b of buffers) {
      if (this.#free.length >= this.#keep) return;
      // Only whole buffers of the pool's size: a view into a larger or shared one is never reused.
      if (b.length === this.size && b.byteOffset === 0 && b.buffer.byteLength === this.size) this.#free.push(b);
    }
  }

  /** Buffers waiting to be taken. */
  get free(): number {
    return this.#free.length;
  }
}
