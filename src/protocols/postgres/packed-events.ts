import { type PackedOut, type PackedReader } from '../../core/recording/packed-bytes.ts';
import { PackedDefinitions, packedKinds, statementDecoder, type StatementDefinitions } from '../../core/recording/packed-definitions.ts';
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

/** What a packed statement is written from (an execution the tracker followed to its end). */
export interface PackedStatement {
  readonly seq: number;
  readonly atMs: number;
  readonly text: string;
  /** Whether the text repeats (a prepared statement's): written once and referred to. */
  readonly textRepeats: boolean;
  /** The bytes `text` was decoded from (a Query's), when it was: copied, not encoded again. */
  readonly source: Buffer | undefined;
  readonly params: readonly (string | null)[] | undefined;
  readonly prepared: string | undefined;
  readonly verdict: Verdict | undefined;
  readonly durationMs: number;
  readonly columns: RecordedColumns | undefined;
  readonly commandTag: string | undefined;
  readonly rowsAffected: number | undefined;
  readonly rowCount: number;
  readonly rowsTruncated: boolean;
  /** The DataRow messages recorded as the client received them (masked ones as rewritten; type byte and length included). */
  readonly rows: readonly Buffer[];
  readonly masked: StatementEvent['masked'];
}

/** Writes one session's statements as packed records: it is itself the record of the statement it is writing. */
export class StatementPacker implements PackedRecord {
  readonly codec = packedCodecs.postgres;
  readonly #sink: PackedSink;
  readonly #defs: PackedDefinitions;
  #s: PackedStatement | undefined;
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

  /** Records `s` (its definitions first, where this recording lacks them). */
  end(s: PackedStatement): void {
    const v = s.verdict;
    const defs = this.#defs;
    this.#textId = s.textRepeats ? defs.string(s.text) : -1;
    this.#preparedId = s.prepared === undefined ? -1 : defs.string(s.prepared);
    this.#verdictId = v === undefined ? -1 : defs.verdict(v);
    const cols = s.columns;
    this.#columnsId = cols === undefined ? -1 : defs.columns(cols, () => cols);
    this.#tagId = s.commandTag === undefined ? -1 : defs.string(s.commandTag);
    this.#maskedId = s.masked === undefined ? -1 : defs.maskCounts(s.masked);
    this.#flags =
      (s.textRepeats ? has.textById : s.source !== undefined ? has.textBySource : 0) |
      (s.params === undefined ? 0 : has.params) |
      (s.prepared === undefined ? 0 : has.prepared) |
      (v === undefined ? 0 : has.verdict) |
      (cols === undefined ? 0 : has.columns) |
      (s.commandTag === undefined ? 0 : has.tag) |
      (s.rowsAffected === undefined ? 0 : has.rowsAffected) |
      (s.rowsTruncated ? has.truncated : 0) |
      (s.masked === undefined ? 0 : has.masked);
    this.#s = s;
    this.#sink(this, s.durationMs);
    this.#s = undefined;
  }

  write(out: PackedOut): void {
    const s = this.#s!;
    const f = this.#flags;
    out.u8(packedKinds.statement);
    out.varint(s.seq);
    out.f64(s.atMs);
    out.varint(f);
    if (f & has.textById) out.varint(this.#textId);
    else if (f & has.textBySource) out.sized(s.source!);
    else out.string(s.text);
    if (s.params !== undefined) {
      out.varint(s.params.length);
      for (const p of s.params) {
        if (p === null) out.u8(0);
        else {
          out.u8(1);
          out.string(p);
        }
      }
    }
    if (f & has.prepared) out.varint(this.#preparedId);
    if (f & has.verdict) out.varint(this.#verdictId);
    out.f64(s.durationMs);
    if (f & has.columns) out.varint(this.#columnsId);
    if (f & has.tag) out.varint(this.#tagId);
    if (f & has.rowsAffected) out.varint(s.rowsAffected!);
    if (f & has.masked) out.varint(this.#maskedId);
    out.varint(s.rowCount);
    const rows = s.rows;
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
  // Keys in the order a statement's JSON line has them (json-line.ts), so both read back alike.
  return {
    type: 'statement',
    at,
    seq,
    text,
    ...(params !== undefined && { params }),
    ...(prepared !== undefined && { prepared }),
    durationMs,
    ...(commandTag !== undefined && { commandTag }),
    ...(rowsAffected !== undefined && { rowsAffected }),
    ...(cols !== undefined && { columns: cols.names as string[] }),
    rows,
    rowCount,
    rowsTruncated: (f & has.truncated) !== 0,
    ...(verdict !== undefined && { verdict }),
    ...(masked !== undefined && { masked }),
  };
}

/** A recorded DataRow's values as the live path decodes them; a malformed one as one cell, its bytes in hex. */
export function rowValues(row: Buffer, cols: RecordedColumns | undefined): (string | null)[] {
  try {
    return dataRowValues(row, 0, cols?.carriage ?? undefined);
  } catch {
    return [`\\x${row.toString('hex')}`];
  }
}
