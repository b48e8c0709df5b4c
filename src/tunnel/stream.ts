import { Duplex } from 'node:stream';
import { emitsAtOnce, writesIdle } from '../transport/stream-state.ts';
import { maxDataBytes, type Frame } from './frames.ts';

/**
 * One session's byte stream over a shared agent link, with credit-based flow
 * control so that a slow reader on one stream never stalls the others and no
 * side buffers more than one window per stream:
 *
 * - sending: a write waits (its callback is held) until the peer has granted
 *   credit; Node's writable buffering then pushes back on whoever writes.
 * - receiving: bytes are counted as unacknowledged until this stream's reader
 *   asks for more (`_read`), and only then returned to the peer as credit. A
 *   peer that sends beyond its credit breaks the protocol and the stream is reset.
 */
export class TunnelStream extends Duplex {
  readonly id: number;
  readonly #send: (f: Frame) => void;
  readonly #window: number;
  readonly #onGone: (id: number) => void;
  #credit: number;
  #pending: { chunk: Buffer; cb: (err?: Error | null) => void } | undefined;
  #unacked = 0;
  /** The peer already knows this stream is over (it sent error, or we saw both ends). */
  #peerGone = false;
  /** The one auth step awaiting the agent's answer (see `ask`). */
  #asking: { resolve: (body: Record<string, unknown>) => void; reject: (err: Error) => void } | undefined;

  constructor(id: number, send: (f: Frame) => void, window: number, onGone: (id: number) => void) {
    super({ allowHalfOpen: true });
    this.id = id;
    this.#send = send;
    this.#window = window;
    this.#credit = window;
    this.#onGone = onGone;
  }

  // Socket look-alikes: the relay and TLS code may call these on a TCP socket.
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }

  /**
   * Gateway side: asks the agent serving this stream to answer one step of the
   * target's login with the credentials it holds. One step at a time; rejects
   * when the stream ends first.
   */
  ask(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.#asking !== undefined) return Promise.reject(new Error('an auth step is already in flight on this stream'));
    if (this.destroyed) return Promise.reject(new Error('the stream is closed'));
    return new Promise((resolve, reject) => {
      this.#asking = { resolve, reject };
      this.#send({ type: 'auth', id: this.id, body });
    });
  }

  /** An auth frame from the peer answering `ask`; a stray one is ignored. */
  answer(body: Record<string, unknown>): void {
    const asking = this.#asking;
    this.#asking = undefined;
    asking?.resolve(body);
  }

  /** Agent side: sends the answer to one auth step. */
  reply(body: Record<string, unknown>): void {
    if (!this.destroyed) this.#send({ type: 'auth', id: this.id, body });
  }

  /** A data frame from the peer. */
  receive(data: Buffer): void {
    if (this.destroyed) return;
    if (this.#unacked + data.length > this.#window) {
      this.destroy(new Error('the peer sent more than its flow-control window allows'));
      return;
    }
    this.#unacked += data.length;
    // The relays read every session byte: hand a chunk to the 'data' listener at once when Readable
    // would emit it at once too (flowing, nothing buffered, no encoding), skipping its bookkeeping
    // and the read-more tick, as transport/onread-socket.ts does for TCP. Readable would then ask
    // for more (`_read`): the bytes count as consumed, and credit goes back on the same terms.
    // After the peer's end frame (`ended`) bytes go through `push`, which refuses them.
    if (emitsAtOnce(this) && this.listenerCount('data') > 0) {
      this.emit('data', data);
      this.#consumed();
      return;
    }
    this.push(data);
  }

  /** A credit frame from the peer: it consumed `bytes` more of ours. */
  grant(bytes: number): void {
    this.#credit += bytes;
    this.#flush();
  }

  /** An end frame from the peer: it writes no more. */
  remoteEnd(): void {
    if (!this.destroyed) this.push(null);
  }

  /** An error frame from the peer: the stream is gone on its side. */
  remoteError(message: string): void {
    this.#peerGone = true;
    this.destroy(new Error(message));
  }

  override _read(): void {
    this.#consumed();
  }

  /** The reader took what it was given: credit back to the peer once enough has piled up. */
  #consumed(): void {
    // Return credit in batches (a quarter window) to keep credit frames rare;
    // a peer with less than that outstanding still has credit left to send with.
    if (this.#unacked >= this.#window / 4) {
      const bytes = this.#unacked;
      this.#unacked = 0;
      this.#send({ type: 'credit', id: this.id, bytes });
    }
  }

  /**
   * A write the peer has credit for, with nothing queued before it, becomes a data frame at once:
   * Writable's buffering and `_write` callback cost more than the frame itself on a point
   * query's path, and change nothing when nothing waits. Anything else (no credit, queued
   * writes, a callback to call, corked, ending) takes Writable's way, which keeps the order.
   */
  override write(chunk: unknown, encoding?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void): boolean {
    if (
      encoding === undefined &&
      cb === undefined &&
      Buffer.isBuffer(chunk) &&
      chunk.length > 0 &&
      chunk.length <= this.#credit &&
      chunk.length <= maxDataBytes &&
      this.#pending === undefined &&
      writesIdle(this)
    ) {
      this.#credit -= chunk.length;
      this.#send({ type: 'data', id: this.id, data: chunk });
      return true;
    }
    return super.write(chunk, encoding as BufferEncoding, cb);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#pending = { chunk, cb };
    this.#flush();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#send({ type: 'end', id: this.id });
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const clean = err === null && this.writableFinished && this.readableEnded;
    if (!this.#peerGone && !clean) this.#send({ type: 'error', id: this.id, message: err?.message ?? 'stream closed' });
    const asking = this.#asking;
    this.#asking = undefined;
    asking?.reject(err ?? new Error('stream closed'));
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.cb(err ?? new Error('stream closed'));
    this.#onGone(this.id);
    cb(err);
  }

  #flush(): void {
    while (this.#pending !== undefined && this.#credit > 0 && !this.destroyed) {
      const { chunk, cb } = this.#pending;
      const n = Math.min(this.#credit, chunk.length, maxDataBytes);
      this.#send({ type: 'data', id: this.id, data: chunk.subarray(0, n) });
      this.#credit -= n;
      if (n === chunk.length) {
        this.#pending = undefined;
        cb();
      } else this.#pending = { chunk: chunk.subarray(n), cb };
    }
  }
}
