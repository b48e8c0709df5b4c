import type { Duplex } from 'node:stream';
import { PacketReader, type Framer } from '../../transport/packet-reader.ts';

/**
 * The startup phase's packets on the PostgreSQL wire: untyped ones (int32
 * length first: StartupMessage, SSLRequest, CancelRequest) and typed ones
 * (type byte, int32 length), each bounded in size.
 */
function lengthPrefixed(typeBytes: number, maxLength: number): Framer<Buffer> {
  return (buf) => {
    if (buf.length < typeBytes + 4) return undefined;
    const len = buf.readInt32BE(typeBytes);
    if (len < 4 || len > maxLength) throw new Error(`invalid packet length ${len}`);
    const end = typeBytes + len;
    return buf.length >= end ? { packet: buf.subarray(0, end), end } : undefined;
  };
}

export class StartupReader {
  readonly #reader: PacketReader;

  constructor(stream: Duplex) {
    this.#reader = new PacketReader(stream);
  }

  untyped(maxLength: number, signal: AbortSignal): Promise<Buffer> {
    return this.#reader.next(lengthPrefixed(0, maxLength), signal);
  }

  typed(maxLength: number, signal: AbortSignal): Promise<Buffer> {
    return this.#reader.next(lengthPrefixed(1, maxLength), signal);
  }

  detach(): Buffer {
    return this.#reader.detach();
  }
}
