import type { Duplex } from 'node:stream';

/**
 * Reads whole packets from a socket during the startup phase, before the
 * relay takes over. Small, bounded and with a deadline: a client that sends
 * too much or nothing at all only costs its own socket.
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

  /** A packet starting with an int32 length (startup-phase messages). */
  untyped(maxLength: number, signal: AbortSignal): Promise<Buffer> {
    return this.#take(0, maxLength, signal);
  }

  /** A typed message: type byte + int32 length + body. */
  typed(maxLength: number, signal: AbortSignal): Promise<Buffer> {
    return this.#take(1, maxLength, signal);
  }

  async #take(typeBytes: number, maxLength: number, signal: AbortSignal): Promise<Buffer> {
    for (;;) {
      if (this.#buf.length >= typeBytes + 4) {
        const len = this.#buf.readInt32BE(typeBytes);
        if (len < 4 || len > maxLength) throw new Error(`invalid packet length ${len}`);
        const total = typeBytes + len;
        if (this.#buf.length >= total) {
          const packet = this.#buf.subarray(0, total);
          this.#buf = this.#buf.subarray(total);
          return packet;
        }
      }
      if (this.#ended) throw new Error('client closed the connection during startup');
      if (signal.aborted) throw new Error('startup timed out');
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

  /** Stops reading; returns bytes already received but not consumed. */
  detach(): Buffer {
    this.#stream.off('data', this.#onData);
    this.#stream.off('end', this.#onEnd);
    this.#stream.off('close', this.#onEnd);
    const rest = this.#buf;
    this.#buf = Buffer.alloc(0);
    return rest;
  }
}
