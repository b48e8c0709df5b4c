import { type PackedOut, type PackedReader } from '../../core/recording/packed-bytes.ts';
import { PackedDefinitions, packedKinds, packedStatement, statementDecoder, type StatementDefinitions } from '../../core/recording/packed-definitions.ts';
import { packedCodecs, type PackedDecoder, type PackedRecord } from '../../core/recording/packed.ts';
import type { StatementEvent } from '../../core/recording/types.ts';
import type { Verdict } from '../../core/policy/types.ts';
import { dataRowValues, type ColumnCarriage } from './codec/results.ts';

/**
 * PostgreSQL statements as packed records (core/recording/packed.ts), as
 * protocols/mysql/packed-events.ts does for MySQL: the text (or a reference to
 * a prepared statement's), its parameters, references to its verdict, command
 * tag and result columns, and the DataRows as the client received them,
 * decoded when the recording is read by the function that decodes them live
 * (`dataRowValues`). The decoder gives the StatementEvent the tracker would
 * have emitted (the tests hold both paths to the same events).
 *
 * What is packed: executions of one result or none (or several of a simple
 * Query) that complete without an error or COPY, masked ones too when every
 * column travels as text (their rows as rewritten, their counts by
 * reference); events.ts decides, the rest are events. A DataRow the target
 * sent malformed is read back as one cell of hex.
 *
 * Records (the first byte says which):
 * - 1 statement: seq (varint), start (f64 ms since the epoch), flags (varint),
 *   the text (a reference, the Query's bytes, or the string), parameters
 *   (count, then each: 0 for NULL, or 1 and the string), references to the
 *   prepared statement's name and the verdict; duration (f64 ms), references
 *   to the columns and the command tag, rows affected, a reference to the mask
 *   counts, row count and recorded rows (varints), and the recorded DataRow
 *   messages, each length first.
 * - definitions (core's packedKinds): 2 a string (a text, tag or name), 3 a
 *   verdict, 4 columns (JSON: names and carriage), 5 mask counts.
 */
const has = { textById: 1, params: 2, prepared: 4, verdict: 8, columns: 16, tag: 32, rowsAffected: 64, truncated: 128, textBySource: 256, masked: 512 } as const;

/** Where a packer's records go (written before it returns); `durationMs` for a statement, undefined for a definition. */
export type PackedSink = (record: PackedRecord, durationMs: number | undefined) => void;

/** A result's columns as recorded: names, and how each value travels (DataRows are decoded by it). */
export interface RecordedColumns {
  names: readonly string[];
  carriage: readonly ColumnCarriage[] | null;
}

/**
 * What a packed statement is written from besides its event: an execution the tracker followed to
 * its end (events.ts's Execution is one, so nothing is built per statement to hand it over).
 */
export interface PackedExecution {
  /** When it was sent (ms since the epoch). */
  readonly atMs: number;
  /** A simple Query (its text new each time); else an Execute, whose prepared text repeats and is written once and referred to. */
  readonly simple: boolean;
  /** The bytes a Query's text was decoded from, when it was: copied, not encoded again. */
  readonly source: Buffer | undefined;
  readonly verdict: Verdict | undefined;
  readonly columns: RecordedColumns | undefined;
  /** The DataRow messages recorded as the client received them (masked ones as rewritten; type byte and length included). */
  readonly packedRows: readonly Buffer[] | undefined;
}

const noRows: readonly Buffer[] = Object.freeze([]);
/** A result's columns are defined by themselves (names and carriage). */
const asItIs = (cols: RecordedColumns): unknown => cols;

/** Writes one session's statements as packed records: it is itself the record of the statement it is writing. */
export class StatementPacker implements PackedRecord {
  readonly codec = packedCodecs.postgres;
  readonly #sink: PackedSink;
  readonly #defs: PackedDefinitions;
  #e: StatementEvent | undefined;
  #x: PackedExecution | undefined;
  #durationMs = 0;
  #flags = 0;
  #textId = -1;
  #preparedId = -1;
  #verdictId = -1;
  #columnsId = -1;
  #tagId = -1;
  #maskedId = -1;

  constructor(sink: PackedSink) {
    this.#sink = sink;
    this.#defs = new PackedDefinitions(packedCodecs.postgres, (d) => sink(d, undefined));
  }

  /**
   * Records the statement of event `e` (its text, parameters, tag, counts) and execution `x`, which
   * ran `durationMs`: its definitions first, where this recording lacks them.
   */
  end(e: StatementEvent, x: PackedExecution, durationMs: number): void {
    const v = x.verdict;
    const defs = this.#defs;
    this.#textId = x.simple ? -1 : defs.string(e.text);
    this.#preparedId = e.prepared === undefined ? -1 : defs.string(e.prepared);
    this.#verdictId = v === undefined ? -1 : defs.verdict(v);
    const cols = x.columns;
    this.#columnsId = cols === undefined ? -1 : defs.columns(cols, asItIs);
    this.#tagId = e.commandTag === undefined ? -1 : defs.string(e.commandTag);
    this.#maskedId = e.masked === undefined ? -1 : defs.maskCounts(e.masked);
    this.#flags =
      (!x.simple ? has.textById : x.source !== undefined ? has.textBySource : 0) |
      (e.params === undefined ? 0 : has.params) |
      (e.prepared === undefined ? 0 : has.prepared) |
      (v === undefined ? 0 : has.verdict) |
      (cols === undefined ? 0 : has.columns) |
      (e.commandTag === undefined ? 0 : has.tag) |
      (e.rowsAffected === undefined ? 0 : has.rowsAffected) |
      (e.rowsTruncated ? has.truncated : 0) |
      (e.masked === undefined ? 0 : has.masked);
    this.#e = e;
    this.#x = x;
    this.#durationMs = durationMs;
    this.#sink(this, durationMs);
    this.#e = undefined;
    this.#x = undefined;
  }

  write(out: PackedOut): void {
    const e = this.#e!;
    const x = this.#x!;
    const f = this.#flags;
    out.u8(packedKinds.statement);
    out.varint(e.seq);
    out.f64(x.atMs);
    out.varint(f);
    if (f & has.textById) out.varint(this.#textId);
    else if (f & has.textBySource) out.sized(x.source!);
    else out.string(e.text);
    if (e.params !== undefined) {
      out.varint(e.params.length);
      for (const p of e.params) {
        if (p === null) out.u8(0);
        else {
          out.u8(1);
          out.string(p);
        }
      }
    }
    if (f & has.prepared) out.varint(this.#preparedId);
    if (f & has.verdict) out.varint(this.#verdictId);
    out.f64(this.#durationMs);
    if (f & has.columns) out.varint(this.#columnsId);
    if (f & has.tag) out.varint(this.#tagId);
    if (f & has.rowsAffected) out.varint(e.rowsAffected!);
    if (f & has.masked) out.varint(this.#maskedId);
    out.varint(e.rowCount);
    const rows = x.packedRows ?? noRows;
    out.varint(rows.length);
    for (let i = 0; i < rows.length; i++) out.sized(rows[i]!);
  }
}

/** A recording's decoder of PostgreSQL packed records (fresh for every read: definitions are per recording). */
export function postgresPackedDecoder(): PackedDecoder {
  return statementDecoder('PostgreSQL', statement);
}

function statement(r: PackedReader, { strings, verdicts, columns, maskCounts }: StatementDefinitions<RecordedColumns>): StatementEvent {
  const seq = r.varint();
  const at = new Date(r.f64()).toISOString();
  const f = r.varint();
  const text = f & has.textById ? strings.get(r.varint()) : f & has.textBySource ? r.sized().toString('utf8') : r.string();
  let params: (string | null)[] | undefined;
  if (f & has.params) {
    params = new Array<string | null>(r.varint());
    for (let i = 0; i < params.length; i++) params[i] = r.u8() === 0 ? null : r.string();
  }
  const prepared = f & has.prepared ? strings.get(r.varint()) : undefined;
  const verdict = f & has.verdict ? verdicts.get(r.varint()) : undefined;
  const durationMs = r.f64();
  const cols = f & has.columns ? columns.get(r.varint()) : undefined;
  const commandTag = f & has.tag ? strings.get(r.varint()) : undefined;
  const rowsAffected = f & has.rowsAffected ? r.varint() : undefined;
  const masked = f & has.masked ? maskCounts.get(r.varint()) : undefined;
  const rowCount = r.varint();
  const rows: (string | null)[][] = new Array(r.varint());
  for (let i = 0; i < rows.length; i++) rows[i] = rowValues(r.sized(), cols);
  return packedStatement({ at, seq, text, params, prepared, durationMs, commandTag, rowsAffected, columns: cols?.names as string[] | undefined, rows, rowCount, rowsTruncated: (f & has.truncated) !== 0, verdict, masked });
}

/** A recorded DataRow's values as the live path decodes them; a malformed one as one cell, its bytes in hex. */
export function rowValues(row: Buffer, cols: RecordedColumns | undefined): (string | null)[] {
  try {
    return dataRowValues(row, 0, cols?.carriage ?? undefined);
  } catch {
    return [`\\x${row.toString('hex')}`];
  }
}
