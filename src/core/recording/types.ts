/**
 * What a session recording holds: an append-only stream of events, written
 * while the session runs. For databases each statement is one event with the
 * rows as the client received them (after masking), up to a cap.
 */
export type RecordingEvent =
  | { type: 'session_start'; at: string; sessionId: string; user: string; connection: string; protocol: string; clientAddress: string }
  | StatementEvent
  | { type: 'notice'; at: string; message: string }
  | { type: 'session_end'; at: string; reason: string; bytesFromClient: number; bytesToClient: number };

export interface StatementEvent {
  type: 'statement';
  /** When the statement was sent to the target. */
  at: string;
  seq: number;
  text: string;
  /** Bound parameters of an extended-protocol execution, as text (binary ones as `\x…` hex). */
  params?: (string | null)[];
  /** Name of the prepared statement it came from, when any. */
  prepared?: string;
  durationMs: number;
  /** The command tag (`SELECT 3`, `INSERT 0 1`), when the target completed it. */
  commandTag?: string;
  rowsAffected?: number;
  /** Columns of the result, when there was one. */
  columns?: string[];
  /** Rows the client received, as text, up to the recording cap. */
  rows?: (string | null)[][];
  /** Rows the client received in total (may exceed rows.length). */
  rowCount: number;
  rowsTruncated: boolean;
  error?: { code: string; message: string };
  /** The policy verdict that let it through or stopped it, and what the statement does. */
  verdict?: { effect: string; rules: string[]; classes?: string[]; tables?: string[]; exempted?: { rule: string; group: string }[] };
  /** How many values masking changed, per output column and rule, and per detector. Never the values. */
  masked?: { byColumn: Record<string, Record<string, number>>; byDetector: Record<string, number> };
}

/** Where recordings live: local disk by default, object storage later. */
export interface RecordingStorage {
  /** Opens a recording for appending; the writer buffers and flushes at least every second. */
  open(sessionId: string): RecordingWriter;
  /** Events of a recording in order; throws WardenError('not_found') when there is none. */
  read(sessionId: string): AsyncIterable<RecordingEvent>;
}

export interface RecordingWriter {
  append(event: RecordingEvent): void;
  /** Flushes what is buffered and closes; safe to call twice. */
  close(): Promise<void>;
}
