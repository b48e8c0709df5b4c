import { ownCounts, type RowMasker } from '../../core/masking/index.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { RecordingCaps, StatementEvent } from '../../core/recording/types.ts';
import type { UploadTally } from '../../core/recording/upload-tally.ts';
import type { ColumnCarriage } from './codec/results.ts';
import type { CopyOut } from './copy-out.ts';
import { rowValues, type PackedExecution, type RecordedColumns } from './packed-events.ts';
import type { ResultOf } from './result-masking.ts';

/**
 * One execution the StatementTracker (events.ts) follows, from the statement
 * sent to the end of its answer, and what its recording keeps of it on the
 * way: the rows the client received, within the recording's caps, either as
 * the event's values or (packed) as the DataRows themselves.
 */
export interface Execution extends ResultOf, PackedExecution {
  /** The statement text (as recorded). */
  readonly text: string;
  readonly verdict: Verdict | undefined;
  /** Results seen so far (a simple Query may hold several statements): the index of the current one. */
  index: number;
  batch: number;
  simple: boolean;
  /** The portal an extended-protocol Execute runs (its result shape comes from a Describe). */
  portal: string | undefined;
  /** Extended protocol: whether the result shape and masker were looked up yet. */
  resolved: boolean;
  event: StatementEvent;
  /** Whether the execution is being packed (its `event` then has no `at` and no rows: `atMs` and `packedRows` hold them). */
  packed: boolean;
  atMs: number;
  /** The bytes of a Query's text (recorded as they came). */
  source: Buffer | undefined;
  packedRows: Buffer[] | undefined;
  /** The current result's columns as a packed record refers to them. */
  columns: RecordedColumns | undefined;
  startedAt: number;
  rowBytes: number;
  carriage: ColumnCarriage[] | undefined;
  masker: RowMasker | undefined;
  /** COPY TO STDOUT in progress (copy-out.ts). */
  copy: CopyOut | undefined;
  /** The data of its COPY FROM STDIN (every one of a simple Query's), tallied as the client sends it. */
  upload: UploadTally | undefined;
}

/** Whether a row of `size` bytes is still recorded; the first one past the caps marks the event truncated. */
export function room(head: Execution, caps: RecordingCaps, size: number): boolean {
  const e = head.event;
  if (e.rowsTruncated) return false;
  const kept = head.packed ? (head.packedRows?.length ?? 0) : e.rows!.length;
  if (kept >= caps.maxRows || head.rowBytes + size > caps.maxBytes) {
    e.rowsTruncated = true;
    return false;
  }
  return true;
}

/** A DataRow kept for a packed execution's record (within the caps: `room` said so). */
export function keepPacked(head: Execution, row: Buffer, size: number): void {
  head.rowBytes += size;
  if (head.packedRows === undefined) head.packedRows = [row];
  else head.packedRows.push(row);
}

/** A row's values kept in the execution's event (within the caps). */
export function keep(head: Execution, values: (string | null)[], size: number): void {
  head.rowBytes += size;
  head.event.rows!.push(values);
}

/** The execution stops being packed and becomes an event: its start and rows so far go into the event. */
export function unpack(head: Execution): void {
  head.packed = false;
  head.event.at = new Date(head.atMs).toISOString();
  const rows = head.packedRows;
  if (rows === undefined) return;
  head.packedRows = undefined;
  head.event.rows = rows.map((r) => rowValues(r, head.columns));
}

/** Adds what the current result's masker changed to the statement's counts (each result of a simple Query has its own masker). */
export function noteMasking(head: Execution): void {
  const masker = head.masker;
  if (masker === undefined) return;
  // The first result's counts become the statement's as they are (no copy; frozen, maybe shared
  // with earlier statements); later results add theirs, to a copy.
  const e = head.event;
  if (e.masked === undefined) e.masked = masker.takeCounts();
  else {
    if (Object.isFrozen(e.masked)) e.masked = ownCounts(e.masked);
    masker.addCountsTo(e.masked);
  }
}
