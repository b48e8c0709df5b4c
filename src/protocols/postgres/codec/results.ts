/**
 * Reading the server's answers for the recording: RowDescription, DataRow,
 * CommandComplete, ErrorResponse fields. Functions take the whole message
 * (`buf[start..end)`, type byte included) and never copy more than asked.
 *
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ROWDESCRIPTION
 */
import { readCString } from './message.ts';

export interface ColumnInfo {
  name: string;
  tableOid: number;
  attributeNumber: number;
  typeOid: number;
  format: number;
}

export function parseRowDescription(buf: Buffer, start: number, end: number): ColumnInfo[] {
  const count = buf.readInt16BE(start + 5);
  const columns: ColumnInfo[] = [];
  let off = start + 7;
  for (let i = 0; i < count; i++) {
    const [name, next] = readCString(buf, off, end);
    columns.push({
      name,
      tableOid: buf.readUInt32BE(next),
      attributeNumber: buf.readInt16BE(next + 4),
      typeOid: buf.readUInt32BE(next + 6),
      format: buf.readInt16BE(next + 16),
    });
    off = next + 18;
  }
  return columns;
}

/** A DataRow's values as text; binary values as `\x…` hex. Returns the values and their byte size. */
export function decodeDataRow(buf: Buffer, start: number, binary?: boolean[]): { values: (string | null)[]; bytes: number } {
  const count = buf.readInt16BE(start + 5);
  const values: (string | null)[] = new Array(count);
  let off = start + 7;
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const len = buf.readInt32BE(off);
    off += 4;
    if (len < 0) {
      values[i] = null;
      continue;
    }
    values[i] = binary?.[i] ? '\\x' + buf.toString('hex', off, off + len) : buf.toString('utf8', off, off + len);
    bytes += len;
    off += len;
  }
  return { values, bytes };
}

/** The tag of a CommandComplete (`SELECT 3`, `INSERT 0 1`). */
export function commandTag(buf: Buffer, start: number, end: number): string {
  return buf.toString('utf8', start + 5, end - 1);
}

/** Rows affected from a tag: the last number of `INSERT 0 5`, `UPDATE 3`, `SELECT 2`, `COPY 7`. */
export function rowsFromTag(tag: string): number | undefined {
  const n = Number(tag.slice(tag.lastIndexOf(' ') + 1));
  return Number.isInteger(n) && tag.includes(' ') ? n : undefined;
}

/** The fields of an ErrorResponse or NoticeResponse, keyed by their one-letter codes. */
export function parseErrorFields(buf: Buffer, start: number, end: number): Record<string, string> {
  const out: Record<string, string> = {};
  let off = start + 5;
  while (off < end && buf[off] !== 0) {
    const code = String.fromCharCode(buf[off]!);
    const [value, next] = readCString(buf, off + 1, end);
    out[code] = value;
    off = next;
  }
  return out;
}
