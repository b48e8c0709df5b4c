import { lenenc, readLenenc, ShortPacketError } from './lenenc.ts';

/**
 * Binary-protocol result rows (answers to COM_STMT_EXECUTE): a 0x00 header,
 * a NULL bitmap offset by 2 bits, then each non-NULL value in the encoding
 * of its column type. Decoded to text for recording and masking; rebuilt
 * with masked values, where a changed value of a string-encoded column is
 * rewritten and a changed value of any other type becomes NULL (a masked
 * text is not a valid integer or date). Pure.
 *
 * @see https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html
 */
export interface BinaryColumn {
  type: number;
  unsigned: boolean;
}

/** Fixed-size types: their byte count. */
export const fixed: Record<number, number> = { 0x01: 1, 0x02: 2, 0x0d: 2, 0x03: 4, 0x09: 4, 0x04: 4, 0x05: 8, 0x08: 8, 0x06: 0 };
/** Types sent as a 1-byte length and that many bytes. */
export const temporal = new Set([0x07, 0x0a, 0x0b, 0x0c]);

interface Cell {
  start: number;
  end: number;
  /** Whether the value is a length-encoded string (rewritable in place). */
  text: boolean;
}

export interface BinaryRow {
  values: (string | null)[];
  cells: (Cell | null)[];
}

const bitmapBytes = (n: number) => (n + 7 + 2) >> 3;

export function decodeBinaryRow(p: Buffer, columns: readonly BinaryColumn[]): BinaryRow {
  const cells = new Array<Cell | null>(columns.length);
  return { values: decode(p, columns, cells), cells };
}

/**
 * The values alone (what the recording reads of a row nothing masks): no cell positions are
 * kept, so a row costs its strings and one array.
 */
export function binaryRowValues(p: Buffer, columns: readonly BinaryColumn[]): (string | null)[] {
  return decode(p, columns, undefined);
}

/** The row's values as text; each value's position into `cells` when given. */
function decode(p: Buffer, columns: readonly BinaryColumn[], cells: (Cell | null)[] | undefined): (string | null)[] {
  const n = columns.length;
  if (p[0] !== 0x00 || p.length < 1 + bitmapBytes(n)) throw new ShortPacketError('malformed binary row');
  let off = 1 + bitmapBytes(n);
  // Sized once: a row's arrays grown by push reserved room for 17 values.
  const values = new Array<string | null>(n);
  for (let i = 0; i < n; i++) {
    const bit = i + 2;
    if (p[1 + (bit >> 3)]! & (1 << (bit & 7))) {
      values[i] = null;
      if (cells) cells[i] = null;
      continue;
    }
    const { type, unsigned } = columns[i]!;
    const size = fixed[type];
    let end: number;
    /** Where a length-encoded string's bytes start (-1: a fixed-size or temporal value). */
    let stringStart = -1;
    if (size !== undefined) end = off + size;
    else if (temporal.has(type)) end = off + 1 + (p[off] ?? 0);
    else {
      const len = readLenenc(p, off);
      stringStart = len.next;
      end = len.next + (len.value ?? 0);
    }
    if (end > p.length) throw new ShortPacketError('truncated binary row');
    values[i] = stringStart >= 0 ? p.toString('utf8', stringStart, end) : valueText(p, off, type, unsigned);
    if (cells) cells[i] = { start: off, end, text: stringStart >= 0 };
    off = end;
  }
  return values;
}

/** The row with `shown` values where they differ from the decoded ones. */
export function rebuildBinaryRow(p: Buffer, row: BinaryRow, shown: readonly (string | null)[]): Buffer {
  const n = row.cells.length;
  const head = Buffer.from(p.subarray(0, 1 + bitmapBytes(n)));
  const parts: Buffer[] = [head];
  for (let i = 0; i < n; i++) {
    const cell = row.cells[i];
    if (!cell) continue;
    const v = shown[i] ?? null;
    if (v === row.values[i]) parts.push(p.subarray(cell.start, cell.end));
    else if (v !== null && cell.text) {
      const b = Buffer.from(v, 'utf8');
      parts.push(lenenc(b.length), b);
    } else {
      const bit = i + 2;
      head[1 + (bit >> 3)]! |= 1 << (bit & 7);
    }
  }
  return Buffer.concat(parts);
}

const pad = (v: number, w = 2) => String(v).padStart(w, '0');

/** A fixed-size or temporal binary value as text (shared with COM_STMT_EXECUTE parameters). */
export function valueText(p: Buffer, off: number, type: number, unsigned: boolean): string {
  switch (type) {
    case 0x01:
      return String(unsigned ? p.readUInt8(off) : p.readInt8(off));
    case 0x02:
    case 0x0d:
      return String(unsigned || type === 0x0d ? p.readUInt16LE(off) : p.readInt16LE(off));
    case 0x03:
    case 0x09:
      return String(unsigned ? p.readUInt32LE(off) : p.readInt32LE(off));
    case 0x08:
      return String(unsigned ? p.readBigUInt64LE(off) : p.readBigInt64LE(off));
    case 0x04:
      return String(p.readFloatLE(off));
    case 0x05:
      return String(p.readDoubleLE(off));
    case 0x06:
      return '';
    case 0x0b:
      return timeText(p, off);
    default:
      return dateText(p, off, type === 0x0a);
  }
}

function dateText(p: Buffer, off: number, dateOnly: boolean): string {
  const len = p[off]!;
  const y = len >= 4 ? p.readUInt16LE(off + 1) : 0;
  const date = `${pad(y, 4)}-${pad(len >= 4 ? p[off + 3]! : 0)}-${pad(len >= 4 ? p[off + 4]! : 0)}`;
  if (dateOnly) return date;
  const time = len >= 7 ? `${pad(p[off + 5]!)}:${pad(p[off + 6]!)}:${pad(p[off + 7]!)}` : '00:00:00';
  return `${date} ${time}${len >= 11 ? `.${pad(p.readUInt32LE(off + 8), 6)}` : ''}`;
}

function timeText(p: Buffer, off: number): string {
  const len = p[off]!;
  if (len < 8) return '00:00:00';
  const hours = p.readUInt32LE(off + 2) * 24 + p[off + 6]!;
  const t = `${p[off + 1] ? '-' : ''}${pad(hours)}:${pad(p[off + 7]!)}:${pad(p[off + 8]!)}`;
  return len >= 12 ? `${t}.${pad(p.readUInt32LE(off + 9), 6)}` : t;
}
