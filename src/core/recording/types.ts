import type { PackedRecord } from './packed.ts';

/** How much of a statement's result its recording keeps (config `recording.maxRowsPerStatement` and `maxBytesPerStatement`); past either, the event says it was truncated. */
export interface RecordingCaps {
  maxRows: number;
  maxBytes: number;
}

/**
 * What a session recording holds: an append-only stream of events, written
 * while the session runs. For databases each statement is one event with the
 * rows as the client received them (after masking), up to a cap.
 */
export type RecordingEvent =
  | { type: 'session_start'; at: string; sessionId: string; user: string; connection: string; protocol: string; clientAddress: string }
  | StatementEvent
  | FileEvent
  | ForwardEvent
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
  /** A line typed into a shell that Warden could not fully see, and why (history recall, tab completion…). */
  uncertain?: string;
  /**
   * Data the client uploaded as part of the statement (MySQL LOAD DATA LOCAL INFILE, PostgreSQL
   * COPY … FROM STDIN): the bytes that passed through the gateway and their SHA-256, also when
   * the load failed or was cut short (`error` says why); `name`: the file the MySQL target asked
   * the client for, as it asked (PostgreSQL names none). Absent when no data was asked for, or
   * when the gateway refused the target's request (the client was never asked).
   */
  upload?: StatementUpload;
}

export interface StatementUpload {
  bytes: number;
  sha256: string;
  name?: string;
}

/**
 * One file operation (SFTP, scp): what was asked, what policy said, and for
 * transfers the bytes that passed and their SHA-256 — given only when the
 * bytes passed in order from offset 0 (`sequential`), since a hash of
 * scattered reads or writes would not be the hash of any file.
 */
export interface FileEvent {
  type: 'file';
  /** When the operation was asked for. */
  at: string;
  seq: number;
  /** How the client asked: `sftp` (sftp, scp in its default mode) or `scp` (the legacy scp protocol). */
  via: 'sftp' | 'scp';
  op: 'download' | 'list' | 'upload' | 'remove' | 'rename' | 'mkdir' | 'rmdir' | 'setstat' | 'symlink' | 'hardlink';
  direction: 'upload' | 'download';
  path: string;
  /** The second path of a rename (new name), symlink (link target) or hardlink (the existing file). */
  to?: string;
  /** Transfers: bytes that passed through the gateway. */
  bytes?: number;
  sha256?: string;
  /** Transfers: false when the bytes did not pass in order from offset 0 (then there is no sha256). */
  sequential?: boolean;
  durationMs: number;
  verdict: { effect: string; rules: string[] };
  /** Why it did not complete: `blocked` by policy, `target` refused it, `interrupted` (the session ended first). */
  error?: { code: string; message: string };
}

/**
 * One port-forward request (SSH): `local` (-L, direct-tcpip) to `destination`
 * (`host:port`), `remote` (-R, tcpip-forward: the listen address asked for)
 * or `agent` (agent forwarding); what policy said, and for a relayed tunnel
 * the bytes each way and how long it was open.
 */
export interface ForwardEvent {
  type: 'forward';
  /** When it was asked for. */
  at: string;
  seq: number;
  kind: 'local' | 'remote' | 'agent';
  destination: string;
  /** The client side's originator address as the client reported it (informational). */
  origin?: string;
  bytesFromClient: number;
  bytesToClient: number;
  durationMs: number;
  verdict: { effect: string; rules: string[] };
  /** Why it was not relayed: `blocked` by policy or by the gateway, `target` refused it. */
  error?: { code: string; message: string };
}

/** Where recordings live: local disk (disk.ts), or local disk shipped to S3-compatible object storage (shipped.ts). */
export interface RecordingStorage {
  /** Opens a recording for appending; the writer buffers and flushes at least every second. */
  open(sessionId: string): RecordingWriter;
  /** Events of a recording in order; throws WardenError('not_found') when there is none. */
  read(sessionId: string): AsyncIterable<RecordingEvent>;
  /**
   * A file written beside a session's events in the recording directory (an SSH shell's
   * asciicast, `<sessionId>[-n].cast`), as a stream; throws WardenError('not_found') when there is none.
   */
  file(name: string): Promise<NodeJS.ReadableStream>;
}

export interface RecordingWriter {
  append(event: RecordingEvent): void;
  /** Appends one packed record (packed.ts), written before this returns: the caller may change it then. */
  appendPacked(record: PackedRecord): void;
  /** Flushes what is buffered and closes; safe to call twice. */
  close(): Promise<void>;
}
