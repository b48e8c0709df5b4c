import { eofStatus, isEof, isErr, isOk, parseOk, serverStatus } from './generic.ts';
import { readLenenc, readLenencBytes, ShortPacketError } from './lenenc.ts';
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

export class ResponseReader {
  readonly #shape: ResponseShape;
  #state: State;
  /** Prepare: columns still to come after the parameter definitions. */
  #prepColumns = 0;
  /** Whether the last OK/EOF said more results follow (for recording). */
  lastStatus = 0;

  constructor(shape: ResponseShape) {
    this.#shape = shape;
    this.#state = shape === 'rows' ? { at: 'rows' } : shape === 'fields' ? { at: 'fields' } : shape === 'none' ? { at: 'done' } : { at: 'first' };
  }

  get done(): boolean {
    return this.#state.at === 'done';
  }

  /** Classifies the next packet of the answer; throws ShortPacketError when it cannot be one. */
  next(p: Buffer): PacketRole {
    const s = this.#state;
    switch (s.at) {
      case 'done':
        throw new ShortPacketError('the target sent a packet nobody asked for');
      case 'first':
        return this.#first(p);
      case 'after_infile':
        if (p[0] === 0xfb) throw new ShortPacketError('the target asked for a second LOCAL INFILE in one answer');
        return this.#first(p);
      case 'columns':
        if (--s.left === 0) this.#state = s.then === 'columns_eof' ? { at: 'eof', then: 'rows' } : { at: 'eof', then: 'prepare_columns' };
        return 'column';
      case 'eof': {
        if (!isEof(p)) throw new ShortPacketError('expected an EOF packet after column definitions');
        const status = eofStatus(p);
        if (s.then === 'rows') this.#state = status & cursorExists ? { at: 'done' } : { at: 'rows' };
        else if (s.then === 'prepare_columns') this.#state = this.#prepColumns > 0 ? { at: 'columns', left: this.#takePrepColumns(), then: 'columns_eof' } : { at: 'done' };
        else this.#state = { at: 'done' };
        // A prepare's column definitions end with an EOF and no rows follow.
        if (this.#shape === 'prepare' && this.#state.at === 'rows') this.#state = { at: 'done' };
        return 'eof';
      }
      case 'rows':
        if (isErr(p)) {
          this.#state = { at: 'done' };
          return 'err';
        }
        if (isEof(p)) {
          this.lastStatus = eofStatus(p);
          this.#state = this.#shape === 'result' && this.lastStatus & serverStatus.moreResultsExist ? { at: 'first' } : { at: 'done' };
          return 'eof';
        }
        return 'row';
      case 'fields':
        if (isErr(p) || isEof(p)) {
          this.#state = { at: 'done' };
          return isErr(p) ? 'err' : 'eof';
        }
        return 'column';
    }
  }

  #takePrepColumns(): number {
    const n = this.#prepColumns;
    this.#prepColumns = 0;
    return n;
  }

  #first(p: Buffer): PacketRole {
    if (isErr(p)) {
      this.#state = { at: 'done' };
      return 'err';
    }
    if (this.#shape === 'single') {
      this.#state = { at: 'done' };
      return isOk(p) ? 'ok' : isEof(p) ? 'eof' : 'other';
    }
    if (this.#shape === 'prepare') {
      if (!isOk(p) || p.length < 9) throw new ShortPacketError('malformed COM_STMT_PREPARE answer');
      const columns = p.readUInt16LE(5);
      const params = p.readUInt16LE(7);
      this.#prepColumns = columns;
      if (params > 0) this.#state = { at: 'columns', left: params, then: 'prepare_params' };
      else if (columns > 0) this.#state = { at: 'columns', left: this.#takePrepColumns(), then: 'columns_eof' };
      else this.#state = { at: 'done' };
      return 'prepare_ok';
    }
    if (isOk(p)) {
      this.lastStatus = parseOk(p).status;
      this.#state = this.lastStatus & serverStatus.moreResultsExist ? { at: 'first' } : { at: 'done' };
      return 'ok';
    }
    // LOCAL INFILE request: whether it reaches the client is the relay's decision (local-infile.ts).
    if (p[0] === 0xfb && this.#shape === 'result') {
      this.#state = { at: 'after_infile' };
      return 'infile';
    }
    const n = readLenenc(p, 0).value;
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

/** A protocol-41 column definition. */
export function parseColumnDef(p: Buffer): ColumnDef {
  let off = 0;
  const str = () => {
    const r = readLenencBytes(p, off);
    off = r.next;
    return r.value?.toString('utf8') ?? '';
  };
  str(); // catalog, always "def"
  const schema = str();
  const table = str();
  const orgTable = str();
  const name = str();
  const orgName = str();
  off = readLenenc(p, off).next; // length of the fixed fields (0x0c)
  const charset = p.readUInt16LE(off);
  const type = p[off + 6] ?? 0;
  const flags = off + 9 <= p.length ? p.readUInt16LE(off + 7) : 0;
  return { schema, table, orgTable, name, orgName, charset, type, flags };
}

/** Values of a text-protocol row: each a length-encoded string or NULL (0xFB). */
export function textRowValues(p: Buffer): (string | null)[] {
  const out: (string | null)[] = [];
  let off = 0;
  while (off < p.length) {
    const r = readLenencBytes(p, off);
    out.push(r.value === null ? null : r.value.toString('utf8'));
    off = r.next;
  }
  return out;
}
