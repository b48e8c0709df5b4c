import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { coalesceWrites } from './coalesce.ts';
import { encodeFrame, frameTypes, maxDataBytes, type Frame } from './frames.ts';
import { maskInto, writeMaskKey } from './ws-mask.ts';
import { tapMessages } from './ws-reader.ts';

/** The largest message either end of a link takes: a data frame's payload and the tunnel's header, with room to spare. */
export const linkMaxPayload = maxDataBytes + 1024;

/**
 * A tunnel frame as one complete WebSocket binary message (RFC 6455 §5.2:
 * FIN, opcode 2, the payload length, and from a client the MASK bit with a
 * fresh random key and the payload masked with it, `ws-mask.ts`), in one buffer
 * with one pass over a data frame's bytes (masking is done while copying).
 *
 * Why not `ws.send`: per message it allocates a separate WebSocket header and
 * makes two socket writes (header, then payload), on both ends, for every
 * packet of every session. The bytes on the wire are what ws itself would send,
 * so either end reads them with ws's receiver.
 */
export function encodeWsFrame(f: Frame, masked: boolean): Buffer {
  // Only data frames are hot; the rest reuse the tunnel codec and pay one more copy.
  const inner = f.type === 'data' ? undefined : encodeFrame(f);
  const len = inner === undefined ? 5 + (f as { data: Buffer }).data.length : inner.length;
  const lengthBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const at = 2 + lengthBytes + (masked ? 4 : 0);
  const out = Buffer.allocUnsafe(at + len);
  out[0] = 0x82; // FIN, binary
  const maskBit = masked ? 0x80 : 0;
  if (lengthBytes === 0) out[1] = maskBit | len;
  else if (lengthBytes === 2) {
    out[1] = maskBit | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = maskBit | 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  // A masked payload is XORed with the key (at `at - 4`) as it is copied, never in a second pass.
  if (masked) writeMaskKey(out, at - 4);
  if (inner !== undefined) {
    if (masked) maskInto(inner, out, at, at - 4, 0);
    else inner.copy(out, at);
  } else {
    const d = f as { id: number; data: Buffer };
    out[at] = frameTypes.data;
    out.writeUInt32BE(d.id, at + 1);
    if (!masked) d.data.copy(out, at + 5);
    else {
      // The 5 header bytes are masked in place; the data follows at payload offset 5.
      for (let i = 0; i < 5; i++) out[at + i]! ^= out[at - 4 + (i & 3)]!;
      maskInto(d.data, out, at + 5, at - 4, 5);
    }
  }
  return out;
}

/**
 * What a `Mux` needs to put its frames on an open WebSocket link: `encode`
 * makes each a whole WebSocket message (`encodeWsFrame`; `masked` on the
 * client, the agent), `send` writes it straight into the link's socket,
 * gathered per event-loop turn into one write (`coalesceWrites`).
 *
 * ws's own frames (ping, pong, close) share the socket between whole messages.
 * Nothing is sent unless the WebSocket is open, at the send and at the write:
 * after a close frame (ours or the peer's) a data message would break the
 * protocol, and those frames would be dropped by `ws.send` too.
 */
export function linkWire(ws: WebSocket, socket: Duplex, masked: boolean): { encode: (f: Frame) => Buffer; send: (message: Buffer) => void } {
  return {
    encode: (f) => encodeWsFrame(f, masked),
    send: coalesceWrites(socket, () => ws.readyState === WebSocket.OPEN),
  };
}

/**
 * Reads the link's whole binary messages off `socket` ahead of ws (`tapMessages`), each handed
 * to `onMessage` as ws's 'message' handler would get it; `masked`: the peer masks (it is the
 * client, the agent). Called where ws has just attached the socket and read nothing yet.
 */
export function tapLinkMessages(ws: WebSocket, socket: Duplex, masked: boolean, onMessage: (data: Buffer, isBinary: true) => void): void {
  tapMessages(socket, { masked, maxPayload: linkMaxPayload, isOpen: () => ws.readyState === WebSocket.OPEN, onMessage: (data) => onMessage(data, true) });
}
