import type { Duplex } from 'node:stream';
import { PacketReader as Reader } from '../../transport/packet-reader.ts';
import { takePacket, type Packet } from './codec/packet.ts';

/** The connection phase's MySQL packets (sequence id, 3-byte length), bounded in size. */
export class PacketReader {
  readonly #reader: Reader;
  readonly #maxPacket: number;

  constructor(stream: Duplex, maxPacket: number) {
    this.#reader = new Reader(stream);
    this.#maxPacket = maxPacket;
  }

  /** The next packet; throws when the peer closes, the deadline passes or the framing is invalid. */
  next(signal: AbortSignal): Promise<Packet> {
    return this.#reader.next((buf) => takePacket(buf, 0, this.#maxPacket), signal);
  }

  /** Stops reading; returns the bytes received and not consumed. */
  detach(): Buffer {
    return this.#reader.detach();
  }
}
