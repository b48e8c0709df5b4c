import type { Clock } from '../../core/clock.ts';
import type { StatementEvent } from '../../core/recording/types.ts';
import { decodeDataRow, rowsFromTag, type ColumnInfo } from './codec/results.ts';

/**
 * Wire → neutral events: follows the statements a client sends and the
 * answers the target gives, and turns each execution into one StatementEvent
 * for the recording (text, parameters, duration, tag, error, and the rows
 * the client received, up to a cap).
 *
 * Matching answers to questions relies on the protocol's ordering: a simple
 * Query is answered up to its ReadyForQuery; an extended-protocol Execute up
 * to its CommandComplete/EmptyQuery/PortalSuspended/Error, and every batch
 * ends at the ReadyForQuery that answers its Sync (executions after an error
 * are skipped by the server, so they are dropped there).
 */
interface Execution {
  batch: number;
  simple: boolean;
  event: StatementEvent;
  startedAt: number;
  rowBytes: number;
  binary: boolean[] | undefined;
}

export interface RecordingCaps {
  maxRows: number;
  maxBytes: number;
}

export class StatementTracker {
  readonly #emit: (e: StatementEvent) => void;
  readonly #caps: RecordingCaps;
  readonly #clock: Clock;
  readonly #pending: Execution[] = [];
  readonly #prepared = new Map<string, string>();
  readonly #portals = new Map<string, { text: string; params: (string | null)[]; prepared: string }>();
  #batch = 0;
  #answeredBatches = 0;
  #seq = 0;

  constructor(emit: (e: StatementEvent) => void, caps: RecordingCaps, clock: Clock) {
    this.#emit = emit;
    this.#caps = caps;
    this.#clock = clock;
  }

  // ---- client → target

  query(text: string, verdict?: StatementEvent['verdict']): void {
    this.#push(true, text, undefined, undefined, verdict);
    this.#batch++;
  }

  parse(name: string, text: string): void {
    this.#prepared.set(name, text);
  }

  bind(portal: string, statement: string, params: (string | null)[]): void {
    this.#portals.set(portal, { text: this.#prepared.get(statement) ?? '', params, prepared: statement });
  }

  execute(portal: string): void {
    const p = this.#portals.get(portal);
    this.#push(false, p?.text ?? '', p?.params, p?.prepared || undefined);
  }

  sync(): void {
    this.#batch++;
  }

  close(kind: 'S' | 'P', name: string): void {
    if (kind === 'S') this.#prepared.delete(name);
    else this.#portals.delete(name);
  }

  /** The text a named prepared statement was parsed from. */
  preparedText(name: string): string | undefined {
    return this.#prepared.get(name);
  }

  // ---- target → client

  rowDescription(columns: ColumnInfo[]): void {
    const head = this.#pending[0];
    if (!head) return;
    head.event.columns = columns.map((c) => c.name);
    head.binary = columns.some((c) => c.format === 1) ? columns.map((c) => c.format === 1) : undefined;
  }

  dataRow(buf: Buffer, start: number, end: number): void {
    const head = this.#pending[0];
    if (!head) return;
    const e = head.event;
    e.rowCount++;
    if (e.rowsTruncated) return;
    if (e.rows!.length >= this.#caps.maxRows || head.rowBytes + (end - start) > this.#caps.maxBytes) {
      e.rowsTruncated = true;
      return;
    }
    const { values, bytes } = decodeDataRow(buf, start, head.binary);
    head.rowBytes += bytes;
    e.rows!.push(values);
  }

  /** COPY TO STDOUT data: one row of one column per CopyData message (a line in text format). */
  copyData(buf: Buffer, start: number, end: number): void {
    const head = this.#pending[0];
    if (!head) return;
    const e = head.event;
    e.rowCount++;
    if (e.rowsTruncated) return;
    if (e.rows!.length >= this.#caps.maxRows || head.rowBytes + (end - start) > this.#caps.maxBytes) {
      e.rowsTruncated = true;
      return;
    }
    head.rowBytes += end - start - 5;
    e.rows!.push([buf.toString('utf8', start + 5, end).replace(/\n$/, '')]);
  }

  commandComplete(tag: string): void {
    const head = this.#pending[0];
    if (!head) return;
    head.event.commandTag = tag;
    const n = rowsFromTag(tag);
    if (n !== undefined && !tag.startsWith('SELECT')) head.event.rowsAffected = (head.event.rowsAffected ?? 0) + n;
    if (!head.simple) this.#finish();
  }

  /** EmptyQueryResponse or PortalSuspended: the execution is over without a tag. */
  executionEnded(): void {
    const head = this.#pending[0];
    if (head && !head.simple) this.#finish();
  }

  error(code: string, message: string): void {
    const head = this.#pending[0];
    if (!head) return;
    head.event.error = { code, message };
    if (!head.simple) this.#finish();
  }

  readyForQuery(): void {
    const answered = this.#answeredBatches++;
    while (this.#pending.length > 0 && this.#pending[0]!.batch <= answered) {
      if (this.#pending[0]!.simple) this.#finish();
      else this.#pending.shift(); // skipped by the server after an earlier error in its batch
    }
  }

  /** Records what is still in flight (session ending mid-statement). */
  flush(reason: string): void {
    while (this.#pending.length > 0) {
      this.#pending[0]!.event.error ??= { code: '', message: `no answer: ${reason}` };
      this.#finish();
    }
  }

  #push(simple: boolean, text: string, params?: (string | null)[], prepared?: string, verdict?: StatementEvent['verdict']): void {
    const event: StatementEvent = {
      type: 'statement',
      at: this.#clock.now().toISOString(),
      seq: ++this.#seq,
      text,
      durationMs: 0,
      rows: [],
      rowCount: 0,
      rowsTruncated: false,
    };
    if (params) event.params = params;
    if (prepared) event.prepared = prepared;
    if (verdict) event.verdict = verdict;
    this.#pending.push({ batch: this.#batch, simple, event, startedAt: performance.now(), rowBytes: 0, binary: undefined });
  }

  #finish(): void {
    const done = this.#pending.shift()!;
    done.event.durationMs = Math.round((performance.now() - done.startedAt) * 1000) / 1000;
    this.#emit(done.event);
  }
}
