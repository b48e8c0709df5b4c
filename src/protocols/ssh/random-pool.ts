import { randomFillSync } from 'node:crypto';

/**
 * `crypto.randomFillSync` for many small requests: the bytes come from one
 * call of the real one per `size` bytes, each handed out once, in order, as
 * OpenBSD's arc4random hands out its buffer. What a caller gets is the same
 * CSPRNG output either way; only the per-call cost differs (~2 µs a call
 * here: argument checks and a trip into OpenSSL's DRBG under its lock).
 *
 * Requests the pool does not serve go to the source unchanged, with its
 * checks and errors: anything but a Uint8Array (or Buffer) with whole-number
 * bounds inside it, and requests of more than `maxRequest` bytes.
 */
export class RandomPool {
  readonly #source: RandomFill;
  readonly #pool: Buffer;
  /** The first byte of the pool not handed out yet (the pool's length: none left). */
  #next: number;
  /** Bytes handed out from the pool so far. */
  served = 0;

  constructor(source: RandomFill = randomFillSync, size = 64 * 1024) {
    this.#source = source;
    this.#pool = Buffer.allocUnsafe(size);
    this.#next = size;
  }

  /** The largest request served from the pool; an SSH packet's padding is at most 255 bytes. */
  static readonly maxRequest = 256;

  /** `randomFillSync(buf, offset, size)`: fills `buf[offset, offset + size)` (to its end without `size`) and returns `buf`. */
  fill<T>(buf: T, offset?: number, size?: number): T {
    if (!(buf instanceof Uint8Array)) return this.#delegate(buf, offset, size);
    const from = offset ?? 0;
    const n = size ?? buf.length - from;
    if (!Number.isInteger(from) || !Number.isInteger(n) || from < 0 || n < 0 || from + n > buf.length || n > RandomPool.maxRequest) return this.#delegate(buf, offset, size);
    const pool = this.#pool;
    if (this.#next + n > pool.length) {
      this.#source(pool as never);
      this.#next = 0;
    }
    buf.set(pool.subarray(this.#next, this.#next + n), from);
    this.#next += n;
    this.served += n;
    return buf;
  }

  #delegate<T>(buf: T, offset: number | undefined, size: number | undefined): T {
    return this.#source(buf as never, offset, size) as T;
  }
}

/** `crypto.randomFillSync`'s shape, loosely typed (it takes any ArrayBuffer view). */
export type RandomFill = (buf: never, offset?: number, size?: number) => unknown;
