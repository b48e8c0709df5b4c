import type { Clock } from '../../core/clock.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { StatementEvent } from '../../core/recording/types.ts';
import { recordedVerdict } from '../../core/recording/verdict.ts';
import { textRowValues } from './codec/results.ts';

/**
 * Wire → neutral events: one StatementEvent per COM_QUERY or
 * COM_STMT_EXECUTE (text, prepared statement id, verdict, duration, affected
 * rows, error, and the rows the client received up to the caps). The relay
 * runs one command at a time, so there is at most one statement in flight.
 * Binary-protocol rows (COM_STMT_EXECUTE) are counted, not yet decoded.
 */
export interface RecordingCaps {
  maxRows: number;
  maxBytes: number;
}

interface Current {
  event: StatementEvent;
  startedAt: number;
  rowBytes: number;
  binary: boolean;
}

export class StatementTracker {
  readonly #emit: (e: StatementEvent) => void;
  readonly #caps: RecordingCaps;
  readonly #clock: Clock;
  #current: Current | undefined;
  #seq = 0;

  constructor(emit: (e: StatementEvent) => void, caps: RecordingCaps, clock: Clock) {
    this.#emit = emit;
    this.#caps = caps;
    this.#clock = clock;
  }

  /** A statement sent to the target; `prepared`: the statement id of a COM_STMT_EXECUTE. */
  begin(text: string, verdict: Verdict | undefined, prepared?: string): void {
    this.#current = { event: this.#event(text, verdict, prepared), startedAt: performance.now(), rowBytes: 0, binary: prepared !== undefined };
  }

  /** A statement the gateway stopped before the target saw it: recorded at once. */
  stopped(text: string, verdict: Verdict | undefined, code: string, message: string): void {
    this.#emit({ ...this.#event(text, verdict), error: { code, message } });
  }

  /** A result set starts: its column names (the last result's stay recorded, as for PostgreSQL). */
  columns(names: string[]): void {
    if (this.#current) this.#current.event.columns = names;
  }

  row(payload: Buffer): void {
    const c = this.#current;
    if (!c) return;
    const e = c.event;
    e.rowCount++;
    if (c.binary || e.rowsTruncated) return;
    if (e.rows!.length >= this.#caps.maxRows || c.rowBytes + payload.length > this.#caps.maxBytes) {
      e.rowsTruncated = true;
      return;
    }
    c.rowBytes += payload.length;
    e.rows!.push(textRowValues(payload));
  }

  ok(affectedRows: number): void {
    const e = this.#current?.event;
    if (e && affectedRows > 0) e.rowsAffected = (e.rowsAffected ?? 0) + affectedRows;
  }

  error(code: number, message: string): void {
    if (this.#current) this.#current.event.error = { code: String(code), message };
  }

  /** The answer is complete. */
  end(): void {
    const c = this.#current;
    if (!c) return;
    this.#current = undefined;
    c.event.durationMs = Math.round((performance.now() - c.startedAt) * 1000) / 1000;
    this.#emit(c.event);
  }

  /** Records what is still in flight (session ending mid-statement). */
  flush(reason: string): void {
    if (!this.#current) return;
    this.#current.event.error ??= { code: '', message: `no answer: ${reason}` };
    this.end();
  }

  #event(text: string, verdict: Verdict | undefined, prepared?: string): StatementEvent {
    const event: StatementEvent = { type: 'statement', at: this.#clock.now().toISOString(), seq: ++this.#seq, text, durationMs: 0, rows: [], rowCount: 0, rowsTruncated: false };
    if (prepared !== undefined) event.prepared = prepared;
    if (verdict) event.verdict = recordedVerdict(verdict);
    return event;
  }
}

