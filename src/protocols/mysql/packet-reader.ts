import type { Duplex } from 'node:stream';
import { takePacket, type Packet } from './codec/packet.ts';

/**
 * Reads whole packets during the connection phase, before the relay takes
 * over: bounded in size and with a deadline, so a client (or target) that
 * sends too much or nothing at all only costs its own socket. Bytes are
 * framed only when asked for, so what follows the last packet read (a TLS
 * handshake, the first commands) is handed back untouched by `detach`.
 */
export class PacketReader {
  readonly #stream: Duplex;
  readonly #maxPacket: number;
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

  constructor(stream: Duplex, maxPacket: number) {
    this.#stream = stream;
    this.#maxPacket = maxPacket;
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
    stream.on('close', this.#onEnd);
  }

  /** The next packet; throws when the peer closes, the deadline passes or the framing is invalid. */
  async next(signal: AbortSignal): Promise<Packet> {
    for (;;) {
      const p = takePacket(this.#buf, 0, this.#maxPacket);
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
