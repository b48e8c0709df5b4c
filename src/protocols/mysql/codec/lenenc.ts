/**
 * Length-encoded integers and strings, the MySQL protocol's variable-size
 * fields.
 *
 * @see https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_dt_integers.html
 */

export class ShortPacketError extends Error {}

/** Reads a length-encoded integer at `off`; `value` null for the 0xFB NULL marker. */
export function readLenenc(buf: Buffer, off: number): { value: number | null; next: number } {
  const first = buf[off];
  if (first === undefined) throw new ShortPacketError('truncated length-encoded integer');
  if (first < 0xfb) return { value: first, next: off + 1 };
  if (first === 0xfb) return { value: null, next: off + 1 };
  const size = first === 0xfc ? 2 : first === 0xfd ? 3 : first === 0xfe ? 8 : 0;
  if (size === 0 || off + 1 + size > buf.length) throw new ShortPacketError('invalid length-encoded integer');
  const value = size === 8 ? Number(buf.readBigUInt64LE(off + 1)) : buf.readUIntLE(off + 1, size);
  return { value, next: off + 1 + size };
}

/** A length-encoded string at `off` as a slice; `value` null for NULL. */
export function readLenencBytes(buf: Buffer, off: number): { value: Buffer | null; next: number } {
  const n = readLenenc(buf, off);
  if (n.value === null) return { value: null, next: n.next };
  const end = n.next + n.value;
  if (end > buf.length) throw new ShortPacketError('truncated length-encoded string');
  return { value: buf.subarray(n.next, end), next: end };
}

export function lenenc(n: number): Buffer {
  if (n < 0xfb) return Buffer.from([n]);
  if (n < 0x10000) return Buffer.from([0xfc, n & 0xff, n >> 8]);
  if (n < 0x1000000) return Buffer.from([0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16]);
  const b = Buffer.alloc(9);
  b[0] = 0xfe;
  b.writeBigUInt64LE(BigInt(n), 1);
  return b;
}

export function lenencBytes(value: Buffer | string): Buffer {
  const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([lenenc(b.length), b]);
}

/** A NUL-terminated string at `off`; the whole rest when there is no NUL. */
export function readNulString(buf: Buffer, off: number): { value: string; next: number } {
  const end = buf.indexOf(0, off);
  if (end < 0) return { value: buf.toString('utf8', off), next: buf.length };
  return { value: buf.toString('utf8', off, end), next: end + 1 };
}
