/**
 * The untyped messages a client may send first: StartupMessage, SSLRequest,
 * GSSENCRequest and CancelRequest (int32 length, int32 code, body).
 *
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-STARTUPMESSAGE
 */
export const sslRequestCode = 80877103;
export const gssEncRequestCode = 80877104;
export const cancelRequestCode = 80877102;
export const protocolVersion3 = 196608;
/** Startup packets are small; PostgreSQL refuses those over 10 000 bytes. */
export const maxStartupLength = 10_000;

export type StartupPacket =
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel'; processId: number; secretKey: number }
  | { kind: 'startup'; version: number; params: Record<string, string> };

/** Parses a whole startup-phase packet (length included). Throws on malformed input. */
export function parseStartupPacket(packet: Buffer): StartupPacket {
  if (packet.length < 8) throw new Error('startup packet too short');
  const code = packet.readInt32BE(4);
  if (code === sslRequestCode) return { kind: 'ssl' };
  if (code === gssEncRequestCode) return { kind: 'gssenc' };
  if (code === cancelRequestCode) {
    if (packet.length !== 16) throw new Error('malformed cancel request');
    return { kind: 'cancel', processId: packet.readInt32BE(8), secretKey: packet.readInt32BE(12) };
  }
  const params: Record<string, string> = {};
  let off = 8;
  while (off < packet.length && packet[off] !== 0) {
    const keyEnd = packet.indexOf(0, off);
    if (keyEnd < 0) throw new Error('malformed startup parameters');
    const valueEnd = packet.indexOf(0, keyEnd + 1);
    if (valueEnd < 0) throw new Error('malformed startup parameters');
    params[packet.toString('utf8', off, keyEnd)] = packet.toString('utf8', keyEnd + 1, valueEnd);
    off = valueEnd + 1;
  }
  return { kind: 'startup', version: code, params };
}

export function cancelRequest(processId: number, secretKey: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32BE(16, 0);
  b.writeInt32BE(cancelRequestCode, 4);
  b.writeInt32BE(processId, 8);
  b.writeInt32BE(secretKey, 12);
  return b;
}
