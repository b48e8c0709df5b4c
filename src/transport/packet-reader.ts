import type { Duplex } from 'node:stream';

/** Finds the first whole packet at the start of `buf`; undefined while it is incomplete; throws on invalid framing. */
export type Framer<P> = (buf: Buffer) => { packet: P; end: number } | undefined;

/**
 * Reads whole packets from a stream during a protocol's connection phase,
 * before its relay takes over: bounded by the framer's limits and with a
 * deadline, so a peer that sends too much or nothing at all only costs its
 * own socket. Bytes are framed only when asked for, so what follows the last
 * packet read (a TLS handshake, the first commands) is handed back untouched
 * by `detach`.
 */
export class PacketReader {
  readonly #stream: Duplex;
  #buf: Buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #ended = false;
  readonly #onData = (chunk: Buffer) => {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    this.#wake?.();
  };
  readonly #onEnd = () => {
    this.#ended = true;
    this.#wake?.();
  };

  constructor(stream: Duplex) {
    this.#stream = stream;
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
    stream.on('close', this.#onEnd);
  }

  /** The next packet; throws when the peer closes, the deadline passes or the framing is invalid. */
  async next<P>(frame: Framer<P>, signal: AbortSignal): Promise<P> {
    for (;;) {
      const p = frame(this.#buf);
      if (p) {
        this.#buf = this.#buf.subarray(p.end);
        return p.packet;
      }
      if (this.#ended) throw new Error('the peer closed the connection');
      if (signal.aborted) throw new Error('timed out');
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#wake = undefined;
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.#wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Stops reading; returns the bytes received and not consumed. */
  detach(): Buffer {
    this.#stream.off('data', this.#onData);
    this.#stream.off('end', this.#onEnd);
    this.#stream.off('close', this.#onEnd);
    const rest = this.#buf;
    this.#buf = Buffer.alloc(0);
    return rest;
  }
}
