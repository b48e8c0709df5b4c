import { eofStatus, isEof, parseOk, serverStatus } from './generic.ts';
import { readLenenc, ShortPacketError } from './lenenc.ts';
import type { ResponseShape } from './commands.ts';

/**
 * Follows the server's answer to one command packet by packet, so the relay
 * knows what each packet is and when the answer is complete. Pure: no I/O.
 *
 * @see https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response.html
 * @see https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_prepare.html
 */
export type PacketRole = 'ok' | 'err' | 'column_count' | 'column' | 'eof' | 'row' | 'prepare_ok' | 'infile' | 'other';

const cursorExists = 0x0040;

type State =
  | { at: 'first' }
  /** After a LOCAL INFILE request: the client's file, then the server's OK or ERR (never another request). */
  | { at: 'after_infile' }
  | { at: 'columns'; left: number; then: 'columns_eof' | 'prepare_params' }
  | { at: 'eof'; then: 'rows' | 'done' | 'prepare_columns' }
  | { at: 'rows' }
  | { at: 'fields' }
  | { at: 'done' };

// The states without a counter are shared (one object each, not one per packet).
const DONE: State = { at: 'done' };
const ROWS: State = { at: 'rows' };
const FIRST: State = { at: 'first' };
const FIELDS: State = { at: 'fields' };
const AFTER_INFILE: State = { at: 'after_infile' };
const EOF_THEN_ROWS: State = { at: 'eof', then: 'rows' };
const EOF_THEN_PREPARE_COLUMNS: State = { at: 'eof', then: 'prepare_columns' };

export class ResponseReader {
  readonly #shape: ResponseShape;
  #state: State;
  /** Prepare: columns still to come after the parameter definitions. */
  #prepColumns = 0;
  /** Whether the last OK/EOF said more results follow (for recording). */
  lastStatus = 0;

  constructor(shape: ResponseShape) {
    this.#shape = shape;
    this.#state = shape === 'rows' ? ROWS : shape === 'fields' ? FIELDS : shape === 'none' ? DONE : FIRST;
  }

  get done(): boolean {
    return this.#state.at === 'done';
  }

  /** Classifies the next packet of the answer; throws ShortPacketError when it cannot be one. */
  next(p: Buffer): PacketRole {
    return this.nextIn(p, 0, p.length);
  }

  /**
   * `next` for the payload at `buf[start, end)`, a packet inside a received
   * chunk: read in place, so following an answer makes no view of each
   * packet (only an OK or a malformed column count is sliced to be parsed).
   */
  nextIn(buf: Buffer, start: number, end: number): PacketRole {
    const s = this.#state;
    // The payload's first byte; undefined for an empty payload (never a byte of the packet after it).
    const head = end > start ? buf[start] : undefined;
    const eof = isEof(buf, start, end);
    switch (s.at) {
      case 'done':
        throw new ShortPacketError('the target sent a packet nobody asked for');
      case 'first':
        return this.#first(buf, start, end, head);
      case 'after_infile':
        if (head === 0xfb) throw new ShortPacketError('the target asked for a second LOCAL INFILE in one answer');
        return this.#first(buf, start, end, head);
      case 'columns':
        if (--s.left === 0) this.#state = s.then === 'columns_eof' ? EOF_THEN_ROWS : EOF_THEN_PREPARE_COLUMNS;
        return 'column';
      case 'eof': {
        if (!eof) throw new ShortPacketError('expected an EOF packet after column definitions');
        const status = eofStatus(buf, start, end);
        if (s.then === 'rows') this.#state = status & cursorExists ? DONE : ROWS;
        else if (s.then === 'prepare_columns') this.#state = this.#prepColumns > 0 ? { at: 'columns', left: this.#takePrepColumns(), then: 'columns_eof' } : DONE;
        else this.#state = DONE;
        // A prepare's column definitions end with an EOF and no rows follow.
        if (this.#shape === 'prepare' && this.#state.at === 'rows') this.#state = DONE;
        return 'eof';
      }
      case 'rows':
        if (head === 0xff) {
          this.#state = DONE;
          return 'err';
        }
        if (eof) {
          this.lastStatus = eofStatus(buf, start, end);
          this.#state = this.#shape === 'result' && this.lastStatus & serverStatus.moreResultsExist ? FIRST : DONE;
          return 'eof';
        }
        return 'row';
      case 'fields':
        if (head === 0xff || eof) {
          this.#state = DONE;
          return head === 0xff ? 'err' : 'eof';
        }
        return 'column';
    }
  }

  #takePrepColumns(): number {
    const n = this.#prepColumns;
    this.#prepColumns = 0;
    return n;
  }

  #first(buf: Buffer, start: number, end: number, head: number | undefined): PacketRole {
    const len = end - start;
    if (head === 0xff) {
      this.#state = DONE;
      return 'err';
    }
    if (this.#shape === 'single') {
      this.#state = DONE;
      return head === 0x00 ? 'ok' : isEof(buf, start, end) ? 'eof' : 'other';
    }
    if (this.#shape === 'prepare') {
      if (head !== 0x00 || len < 9) throw new ShortPacketError('malformed COM_STMT_PREPARE answer');
      const columns = buf.readUInt16LE(start + 5);
      const params = buf.readUInt16LE(start + 7);
      this.#prepColumns = columns;
      if (params > 0) this.#state = { at: 'columns', left: params, then: 'prepare_params' };
      else if (columns > 0) this.#state = { at: 'columns', left: this.#takePrepColumns(), then: 'columns_eof' };
      else this.#state = DONE;
      return 'prepare_ok';
    }
    if (head === 0x00) {
      this.lastStatus = parseOk(buf.subarray(start, end)).status;
      this.#state = this.lastStatus & serverStatus.moreResultsExist ? FIRST : DONE;
      return 'ok';
    }
    // LOCAL INFILE request: whether it reaches the client is the relay's decision (local-infile.ts).
    if (head === 0xfb && this.#shape === 'result') {
      this.#state = AFTER_INFILE;
      return 'infile';
    }
    // A count below 251 is its own first byte; anything longer (or nothing) is read from the payload alone.
    const n = head !== undefined && head < 0xfb ? head : readLenenc(buf.subarray(start, end), 0).value;
    if (!n) throw new ShortPacketError('invalid column count');
    this.#state = { at: 'columns', left: n, then: 'columns_eof' };
    return 'column_count';
  }
}

export interface ColumnDef {
  schema: string;
  table: string;
  orgTable: string;
  name: string;
  orgName: string;
  charset: number;
  type: number;
  /** Column flags (UNSIGNED_FLAG 0x20, BINARY_FLAG 0x80, …). */
  flags: number;
}

/** VARCHAR, the BLOB/TEXT family, VAR_STRING, STRING (CHAR, ENUM, SET): a column of character strings (masking's `ResultColumn.text`). */
const stringTypes = new Set([0x0f, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe]);
export const isStringColumn = (d: ColumnDef): boolean => stringTypes.has(d.type);

/** A protocol-41 column definition. */
export function parseColumnDef(p: Buffer): ColumnDef {
  const at = { off: 0 };
  lenencText(p, at); // catalog, always "def"
  const schema = lenencText(p, at);
  const table = lenencText(p, at);
  const orgTable = lenencText(p, at);
  const name = lenencText(p, at);
  const orgName = lenencText(p, at);
  const off = readLenenc(p, at.off).next; // length of the fixed fields (0x0c)
  const charset = p.readUInt16LE(off);
  const type = p[off + 6] ?? 0;
  const flags = off + 9 <= p.length ? p.readUInt16LE(off + 7) : 0;
  return { schema, table, orgTable, name, orgName, charset, type, flags };
}

/** The length-encoded string at `at.off` as UTF-8 text ('' for NULL); moves `at.off` past it. */
function lenencText(p: Buffer, at: { off: number }): string {
  const n = readLenenc(p, at.off);
  const start = n.next;
  const end = start + (n.value ?? 0);
  if (end > p.length) throw new ShortPacketError('truncated length-encoded string');
  at.off = end;
  return end === start ? '' : p.toString('utf8', start, end);
}

/**
 * Values of a text-protocol row: each a length-encoded string or NULL (0xFB). `columns`: how many
 * the row should hold, when known: the array is made at that size (grown by push from empty, it
 * reserved room for 17); a row holding another count still gives exactly its values.
 */
export function textRowValues(p: Buffer, columns = 0): (string | null)[] {
  const out = new Array<string | null>(columns);
  let i = 0;
  let off = 0;
  while (off < p.length) {
    const n = readLenenc(p, off);
    if (n.value === null) {
      out[i++] = null;
      off = n.next;
      continue;
    }
    const end = n.next + n.value;
    if (end > p.length) throw new ShortPacketError('truncated length-encoded string');
    out[i++] = p.toString('utf8', n.next, end);
    off = end;
  }
  if (i < columns) out.length = i;
  return out;
}
