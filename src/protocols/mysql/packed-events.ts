import { type PackedOut, type PackedReader } from '../../core/recording/packed-bytes.ts';
import { PackedDefinitions, packedKinds, packedStatement, statementDecoder, type StatementDefinitions } from '../../core/recording/packed-definitions.ts';
import { packedCodecs, type PackedDecoder, type PackedRecord } from '../../core/recording/packed.ts';
import type { StatementEvent } from '../../core/recording/types.ts';
import type { Verdict } from '../../core/policy/types.ts';
import { binaryRowValues, type BinaryColumn } from './codec/binary-rows.ts';
import { textRowValues } from './codec/results.ts';

/**
 * MySQL statements as packed records (core/recording/packed.ts): the statement's
 * text, verdict and result columns by reference to a definition written once
 * per recording, and its rows as the row packets the client received, decoded
 * to text only when the recording is read, by the same functions that decode
 * them live. The decoder gives the StatementEvent the tracker would have
 * emitted (the tests hold both paths to the same events).
 *
 * What is packed: statements of one result set or none, that completed
 * without an error, an upload or masked values (events.ts decides); every
 * other statement is an event, as before.
 *
 * A row the target sent malformed is forwarded as it came (as rows past the
 * recording cap always were) and read back as one cell: its bytes as `\x…` hex.
 *
 * Records (the first byte says which):
 * - 1 statement: seq (varint), start (f64 ms since the epoch), flags (u8: text by
 *   reference, prepared, verdict), the text (a reference, or the COM_QUERY payload),
 *   references to the prepared statement's id and the verdict; then duration
 *   (f64 ms), flags (u8: columns, binary rows, truncated, rows affected), the
 *   columns (a reference), rows affected, row count and recorded rows (varints),
 *   and the recorded rows' payloads, each length first.
 * - definitions (core's packedKinds): 2 a string (a prepared text, a statement
 *   id), 3 a verdict, 4 columns (JSON: names and binary types).
 */
const begun = { textById: 1, prepared: 2, verdict: 4 } as const;
const ended = { columns: 1, binary: 2, truncated: 4, rowsAffected: 8 } as const;

const noRows: Buffer[] = Object.freeze([]) as unknown as Buffer[];

/** Where a packer's records go (written before it returns); `durationMs` for a statement, undefined for a definition. */
export type PackedSink = (record: PackedRecord, durationMs: number | undefined) => void;

/** The columns of a result as recorded: names, and binary types (binary rows are decoded by them). */
export interface RecordedColumns {
  names: readonly string[];
  types: readonly BinaryColumn[];
}

/**
 * Writes one session's statements as packed records, one statement at a time: it is itself the
 * record of the statement in hand. Rows are kept as the payloads they arrived in (never reused by
 * the relay) until the statement ends, then written straight into the recording's buffer.
 */
export class StatementPacker implements PackedRecord {
  readonly codec = packedCodecs.mysql;
  readonly #sink: PackedSink;
  readonly #defs: PackedDefinitions;
  // The statement in hand.
  #seq = 0;
  #atMs = 0;
  #source: Buffer | undefined;
  #textId = -1;
  #preparedId = -1;
  #verdictId = -1;
  #columnsId = -1;
  /** The statement's recorded rows; the shared empty array until its first (most statements have one row, or none). */
  #rows: Buffer[] = noRows;
  #durationMs = 0;
  #ended = 0;
  #rowsAffected = 0;
  #rowCount = 0;

  constructor(sink: PackedSink) {
    this.#sink = sink;
    this.#defs = new PackedDefinitions(packedCodecs.mysql, (d) => sink(d, undefined));
  }

  /**
   * Starts a statement's record. `source`: the command's payload when `text` is its UTF-8 from
   * byte 1 (a COM_QUERY): the payload is recorded, not the text encoded again; without it the text
   * is written once and referred to (a prepared statement's, executed again and again).
   */
  begin(seq: number, atMs: number, text: string, source: Buffer | undefined, prepared: string | undefined, verdict: Verdict | undefined): void {
    this.#verdictId = verdict === undefined ? -1 : this.#defs.verdict(verdict);
    this.#textId = source === undefined ? this.#defs.string(text) : -1;
    this.#seq = seq;
    this.#atMs = atMs;
    this.#source = source;
    // A reference: the id repeats with every execute, and a string of its own would cost an encoder call each time.
    this.#preparedId = prepared === undefined ? -1 : this.#defs.string(prepared);
    this.#columnsId = -1;
    this.#rows = noRows;
  }

  /** The statement's result has these columns (frozen, the same object while the definitions are). */
  columns(cols: RecordedColumns): void {
    this.#columnsId = this.#defs.columns(cols, columnsShape);
  }

  /** A row the client received, within the recording cap. */
  row(payload: Buffer): void {
    if (this.#rows === noRows) this.#rows = [payload];
    else this.#rows.push(payload);
  }

  /** The rows recorded so far, as `binary` or text rows of `cols` (for a statement that becomes an event after all); the packer lets go of them. */
  takeRows(cols: RecordedColumns | undefined, binary: boolean): (string | null)[][] {
    const rows = this.#rows.map((r) => rowValues(r, cols, binary));
    this.#rows = noRows;
    return rows;
  }

  /** Ends the statement's record and hands it to the sink. */
  end(durationMs: number, rowCount: number, truncated: boolean, rowsAffected: number | undefined, binary: boolean): void {
    this.#durationMs = durationMs;
    this.#rowCount = rowCount;
    this.#rowsAffected = rowsAffected ?? 0;
    this.#ended = (this.#columnsId < 0 ? 0 : ended.columns) | (binary ? ended.binary : 0) | (truncated ? ended.truncated : 0) | (rowsAffected === undefined ? 0 : ended.rowsAffected);
    this.#sink(this, durationMs);
    // Not kept past the statement: the chunks they are views of can go.
    this.#rows = noRows;
    this.#source = undefined;
  }

  write(out: PackedOut): void {
    out.u8(packedKinds.statement);
    out.varint(this.#seq);
    out.f64(this.#atMs);
    out.u8((this.#source === undefined ? begun.textById : 0) | (this.#preparedId < 0 ? 0 : begun.prepared) | (this.#verdictId < 0 ? 0 : begun.verdict));
    if (this.#source === undefined) out.varint(this.#textId);
    else out.sized(this.#source);
    if (this.#preparedId >= 0) out.varint(this.#preparedId);
    if (this.#verdictId >= 0) out.varint(this.#verdictId);
    out.f64(this.#durationMs);
    const e = this.#ended;
    out.u8(e);
    if (e & ended.columns) out.varint(this.#columnsId);
    if (e & ended.rowsAffected) out.varint(this.#rowsAffected);
    out.varint(this.#rowCount);
    const rows = this.#rows;
    out.varint(rows.length);
    for (let i = 0; i < rows.length; i++) out.sized(rows[i]!);
  }
}

/** A recording's decoder of MySQL packed records (fresh for every read: definitions are per recording). */
export function mysqlPackedDecoder(): PackedDecoder {
  return statementDecoder('MySQL', statement);
}

function statement(r: PackedReader, { strings, verdicts, columns }: StatementDefinitions<RecordedColumns>): StatementEvent {
  const seq = r.varint();
  const at = new Date(r.f64()).toISOString();
  const b = r.u8();
  const text = b & begun.textById ? strings.get(r.varint()) : r.sized().toString('utf8', 1);
  const prepared = b & begun.prepared ? strings.get(r.varint()) : undefined;
  const verdict = b & begun.verdict ? verdicts.get(r.varint()) : undefined;
  const durationMs = r.f64();
  const e = r.u8();
  const cols = e & ended.columns ? columns.get(r.varint()) : undefined;
  const rowsAffected = e & ended.rowsAffected ? r.varint() : undefined;
  const rowCount = r.varint();
  const recorded = r.varint();
  const rows: (string | null)[][] = [];
  for (let i = 0; i < recorded; i++) rows.push(rowValues(r.sized(), cols, (e & ended.binary) !== 0));
  return packedStatement({ at, seq, text, prepared, durationMs, rowsAffected, columns: cols?.names as string[] | undefined, rows, rowCount, rowsTruncated: (e & ended.truncated) !== 0, verdict });
}

/** A recorded row's values as the live path decodes them; a malformed one as one cell, its bytes in hex. */
function rowValues(payload: Buffer, cols: RecordedColumns | undefined, binary: boolean): (string | null)[] {
  try {
    if (!binary) return textRowValues(payload, cols?.types.length);
    if (cols === undefined) throw new Error('a binary-protocol row before its column definitions');
    return binaryRowValues(payload, cols.types);
  } catch {
    return [`\\x${payload.toString('hex')}`];
  }
}

/** The JSON a result's columns are defined by: their names and types (not the decoder's own fields). */
const columnsShape = (cols: RecordedColumns): unknown => ({ names: cols.names, types: cols.types });
