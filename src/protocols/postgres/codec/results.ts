/**
 * Reading the server's answers for the recording: RowDescription, DataRow,
 * CommandComplete, ErrorResponse fields. Functions take the whole message
 * (`buf[start..end)`, type byte included) and never copy more than asked.
 *
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ROWDESCRIPTION
 */
import { copyBytes, message, readCString } from './message.ts';

export interface ColumnInfo {
  name: string;
  tableOid: number;
  attributeNumber: number;
  typeOid: number;
  format: number;
  /** The type holds character strings (masking's `ResultColumn.text`): undefined for a user-defined type (citext, a domain, an enum). */
  text?: boolean | undefined;
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
      text: textTypeOf(buf.readUInt32BE(next + 6)),
    });
    off = next + 18;
  }
  return columns;
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

/** text, varchar, bpchar, name, unknown (an untyped literal); built-in types below 16384 are otherwise not strings. */
const stringOids = new Set([25, 1043, 1042, 19, 705]);
const textTypeOf = (typeOid: number): boolean | undefined => (stringOids.has(typeOid) ? true : typeOid < 16384 ? false : undefined);

/** Type OIDs whose binary format is their UTF-8 text: masking may rewrite them in place. */
const textLikeOids = new Set([25, 1043, 1042, 19, 114, 18]);
const isTextLike = (typeOid: number) => textLikeOids.has(typeOid);

/** How each column of a DataRow is carried: text format, binary that is text, or opaque binary. */
export type ColumnCarriage = 'text' | 'bintext' | 'binary';

export function carriageOf(columns: ColumnInfo[]): ColumnCarriage[] {
  return columns.map((c) => (c.format === 0 ? 'text' : isTextLike(c.typeOid) ? 'bintext' : 'binary'));
}

/** Values of a DataRow: text (and text-like binary) as strings, opaque binary as `\x…` hex. */
export function dataRowValues(buf: Buffer, start: number, carriage: readonly ColumnCarriage[] | undefined): (string | null)[] {
  const count = buf.readInt16BE(start + 5);
  const values: (string | null)[] = new Array(count);
  let off = start + 7;
  for (let i = 0; i < count; i++) {
    const len = buf.readInt32BE(off);
    off += 4;
    if (len < 0) {
      values[i] = null;
      continue;
    }
    values[i] = carriage?.[i] === 'binary' ? '\\x' + buf.toString('hex', off, off + len) : buf.toString('utf8', off, off + len);
    off += len;
  }
  return values;
}

/** The size in bytes of the DataRow `writeDataRow` writes (type byte included). */
export function rewrittenDataRowSize(buf: Buffer, start: number, original: readonly (string | null)[], masked: readonly (string | null)[], carriage: readonly ColumnCarriage[] | undefined): number {
  const count = buf.readInt16BE(start + 5);
  let size = 7;
  let off = start + 7;
  for (let i = 0; i < count; i++) {
    const len = Math.max(buf.readInt32BE(off), 0);
    const m = masked[i] ?? null;
    size += m === original[i] ? 4 + len : replacedSize(m, carriage?.[i]);
    off += 4 + len;
  }
  return size;
}

/**
 * Writes a DataRow with some values replaced into `out` at `at`, which has room for
 * `rewrittenDataRowSize` bytes. Unchanged values keep their original bytes; a changed
 * opaque-binary value becomes NULL, because a masked text would not be a valid binary
 * value of its type (fail closed, still valid wire). Returns the offset after it.
 *
 * The masked row goes straight into the outgoing chunk (chunk-writer.ts), sized first and then
 * written in place: no small Buffer per value (each one is an allocation, and copying out of
 * it makes V8 move its bytes off the heap).
 */
export function writeDataRow(out: Buffer, at: number, buf: Buffer, start: number, original: readonly (string | null)[], masked: readonly (string | null)[], carriage: readonly ColumnCarriage[] | undefined): number {
  const count = buf.readInt16BE(start + 5);
  const begin = at;
  out[at] = 0x44;
  at = out.writeInt16BE(count, at + 5);
  let off = start + 7;
  for (let i = 0; i < count; i++) {
    const len = Math.max(buf.readInt32BE(off), 0);
    const m = masked[i] ?? null;
    if (m === original[i]) at += copyBytes(buf, off, off + 4 + len, out, at);
    else at = writeReplaced(out, at, m, carriage?.[i]);
    off += 4 + len;
  }
  // The length field, now that the values' UTF-8 sizes are written.
  out.writeInt32BE(at - begin - 1, begin + 1);
  return at;
}

/** A DataRow of `values` alone, each written as `writeDataRow` writes a replaced value (a masked row every row of a shape shows). */
export function dataRowOf(values: readonly (string | null)[], carriage: readonly ColumnCarriage[] | undefined): Buffer {
  let size = 2;
  for (let i = 0; i < values.length; i++) size += replacedSize(values[i] ?? null, carriage?.[i]);
  const body = Buffer.allocUnsafe(size);
  let at = body.writeInt16BE(values.length, 0);
  for (let i = 0; i < values.length; i++) at = writeReplaced(body, at, values[i] ?? null, carriage?.[i]);
  // Once per shape, not per row: framed by the codec's own `message`.
  return message('D', body);
}

/** Whether the DataRow at `start` holds `count` values and none of them is NULL. */
export function allPresent(buf: Buffer, start: number, count: number): boolean {
  if (buf.readInt16BE(start + 5) !== count) return false;
  let off = start + 7;
  for (let i = 0; i < count; i++) {
    const len = buf.readInt32BE(off);
    if (len < 0) return false;
    off += 4 + len;
  }
  return true;
}

/** The bytes (length field included) `writeReplaced` writes for `m`. */
function replacedSize(m: string | null, carriage: ColumnCarriage | undefined): number {
  return m === null || carriage === 'binary' ? 4 : 4 + utf8Size(m);
}

/**
 * Writes a replaced value with its length field at `at`; returns the offset after it. An opaque-binary
 * value becomes NULL: a masked text would not be a valid binary value of its type (fail closed, still valid wire).
 */
function writeReplaced(out: Buffer, at: number, m: string | null, carriage: ColumnCarriage | undefined): number {
  if (m === null || carriage === 'binary') return out.writeInt32BE(-1, at);
  const n = writeUtf8(out, at + 4, m);
  out.writeInt32BE(n, at);
  return at + 4 + n;
}

/**
 * Strings up to this length are sized and written in JS when they are ASCII: a masked value
 * is usually short (`****`, `h:…`, `…1234`), and for those Buffer's native calls cost more than
 * the loop (docs/performance.md, session 6).
 */
const shortText = 32;

/** Whether `s` is short and ASCII only: its UTF-8 is one byte per character. */
function shortAscii(s: string): boolean {
  if (s.length > shortText) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** The UTF-8 size of `s`. */
function utf8Size(s: string): number {
  return shortAscii(s) ? s.length : Buffer.byteLength(s, 'utf8');
}

/** Writes `s` as UTF-8 into `out` at `at` (which has room for it); returns the bytes written. */
function writeUtf8(out: Buffer, at: number, s: string): number {
  if (!shortAscii(s)) return out.write(s, at, 'utf8');
  for (let j = 0; j < s.length; j++) out[at + j] = s.charCodeAt(j);
  return s.length;
}

/** A CopyData message. */
export function copyDataMessage(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0x64;
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}
