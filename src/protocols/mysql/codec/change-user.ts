import { cap } from './handshake.ts';
import { readNulString, ShortPacketError } from './lenenc.ts';

/**
 * COM_CHANGE_USER: log in again on an open connection, as another user or
 * into another database.
 *
 * @see https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_change_user.html
 */
export interface ChangeUser {
  user: string;
  authResponse: Buffer;
  database: string | undefined;
  /** Absent in old clients: the connection's charset stays. */
  charset: number | undefined;
  authPlugin: string | undefined;
}

/** `capabilities`: what the client negotiated at login (they shape the packet). Throws ShortPacketError. */
export function parseChangeUser(p: Buffer, capabilities: number): ChangeUser {
  if (p[0] !== 0x11) throw new ShortPacketError('not a COM_CHANGE_USER packet');
  const user = readNulString(p, 1);
  let off = user.next;
  let authResponse: Buffer;
  if (capabilities & cap.secureConnection) {
    const n = p[off];
    if (n === undefined || off + 1 + n > p.length) throw new ShortPacketError('COM_CHANGE_USER auth response truncated');
    authResponse = p.subarray(off + 1, off + 1 + n);
    off += 1 + n;
  } else {
    const r = readNulString(p, off);
    authResponse = Buffer.from(r.value, 'latin1');
    off = r.next;
  }
  const db = readNulString(p, off);
  off = db.next;
  let charset: number | undefined;
  if (off + 2 <= p.length) {
    charset = p.readUInt16LE(off);
    off += 2;
  }
  const authPlugin = capabilities & cap.pluginAuth && off < p.length ? readNulString(p, off).value : undefined;
  return { user: user.value, authResponse, database: db.value || undefined, charset, authPlugin };
}
