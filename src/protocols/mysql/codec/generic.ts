import { lenenc, readLenenc } from './lenenc.ts';

/**
 * The generic response packets: OK, ERR and EOF (the protocol-41 forms; the
 * gateway does not negotiate CLIENT_DEPRECATE_EOF, so result sets end with EOF).
 *
 * @see https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_response_packets.html
 */

/** Server status flags used by the relay. */
export const serverStatus = {
  autocommit: 0x0002,
  moreResultsExist: 0x0008,
} as const;

export function isOk(p: Buffer): boolean {
  return p[0] === 0x00;
}

export function isErr(p: Buffer): boolean {
  return p[0] === 0xff;
}

/** An EOF packet, the payload at `p[start, end)`: 0xFE and shorter than 9 bytes (a longer one is a row or a lenenc int). */
export function isEof(p: Buffer, start = 0, end = p.length): boolean {
  return end > start && p[start] === 0xfe && end - start < 9;
}

export interface OkInfo {
  affectedRows: number;
  lastInsertId: number;
  status: number;
  warnings: number;
}

export function parseOk(p: Buffer): OkInfo {
  const a = readLenenc(p, 1);
  const b = readLenenc(p, a.next);
  const status = p.length >= b.next + 2 ? p.readUInt16LE(b.next) : 0;
  const warnings = p.length >= b.next + 4 ? p.readUInt16LE(b.next + 2) : 0;
  return { affectedRows: a.value ?? 0, lastInsertId: b.value ?? 0, status, warnings };
}

/** Status flags of the EOF packet at `p[start, end)` (0 when it carries none, as in protocol 320). */
export function eofStatus(p: Buffer, start = 0, end = p.length): number {
  return end - start >= 5 ? p.readUInt16LE(start + 3) : 0;
}

export interface ErrInfo {
  code: number;
  sqlstate: string;
  message: string;
}

export function parseErr(p: Buffer): ErrInfo {
  const code = p.length >= 3 ? p.readUInt16LE(1) : 0;
  if (p[3] === 0x23 /* # */) return { code, sqlstate: p.toString('latin1', 4, 9), message: p.toString('utf8', 9) };
  return { code, sqlstate: 'HY000', message: p.toString('utf8', 3) };
}

export function okPayload(o: { affectedRows?: number; lastInsertId?: number; status: number; warnings?: number }): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16LE(o.status, 0);
  tail.writeUInt16LE(o.warnings ?? 0, 2);
  return Buffer.concat([Buffer.from([0x00]), lenenc(o.affectedRows ?? 0), lenenc(o.lastInsertId ?? 0), tail]);
}

export function errPayload(e: ErrInfo): Buffer {
  const head = Buffer.alloc(9);
  head[0] = 0xff;
  head.writeUInt16LE(e.code, 1);
  head[3] = 0x23;
  head.write(e.sqlstate.padEnd(5, '0').slice(0, 5), 4, 'latin1');
  return Buffer.concat([head, Buffer.from(e.message, 'utf8')]);
}
