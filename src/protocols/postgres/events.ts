import type { Clock } from '../../core/clock.ts';
import { createRowMasker, type LineageEntry, type RowMasker } from '../../core/masking/index.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { StatementEvent } from '../../core/recording/types.ts';
import { recordedVerdict } from '../../core/recording/verdict.ts';
import type { MaskingServices } from '../../core/services.ts';
import { carriageOf, copyDataMessage, dataRowValues, rewriteDataRow, rowsFromTag, type ColumnCarriage, type ColumnInfo } from './codec/results.ts';

/**
 * Wire → neutral events: follows the statements a client sends and the
 * answers the target gives. Each execution becomes one StatementEvent for the
 * recording (text, parameters, verdict, duration, tag, error, and the rows
 * the client received — after masking — up to a cap), and results of
 * statements the policy says to mask go through a RowMasker row by row.
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
  /** The portal an extended-protocol Execute runs (its result shape comes from a Describe). */
  portal: string | undefined;
  /** Extended protocol: whether the result shape and masker were looked up yet. */
  resolved: boolean;
  event: StatementEvent;
  verdict: Verdict | undefined;
  startedAt: number;
  rowBytes: number;
  carriage: ColumnCarriage[] | undefined;
  /** Results seen so far (a simple Query may hold several statements). */
  results: number;
  masker: RowMasker | undefined;
}

export interface RecordingCaps {
  maxRows: number;
  maxBytes: number;
}


export class StatementTracker {
  readonly #emit: (e: StatementEvent) => void;
  readonly #caps: RecordingCaps;
  readonly #clock: Clock;
  readonly #masking: MaskingServices;
  readonly #pending: Execution[] = [];
  readonly #prepared = new Map<string, { text: string; verdict: Verdict | undefined }>();
  readonly #portals = new Map<string, { text: string; params: (string | null)[]; prepared: string; verdict: Verdict | undefined; formats: number[] }>();
  /** Result shapes learned from RowDescriptions answering Describe, by `S:name` / `P:name`. */
  readonly #shapes = new Map<string, ColumnInfo[]>();
  /** Describes sent and not answered yet, in order, with their batch. */
  readonly #describes: { key: string; batch: number }[] = [];
  /** SQL-level `PREPARE name AS …`: the text and statement index, so the rows of `EXECUTE name` get that query's lineage. */
  readonly #sqlPrepared = new Map<string, { text: string; index: number }>();
  #batch = 0;
  #answeredBatches = 0;
  #seq = 0;

  constructor(emit: (e: StatementEvent) => void, caps: RecordingCaps, clock: Clock, masking: MaskingServices) {
    this.#emit = emit;
    this.#caps = caps;
    this.#clock = clock;
    this.#masking = masking;
  }

  // ---- client → target

  query(text: string, verdict: Verdict): void {
    this.#push(true, text, verdict);
    this.#batch++;
  }

  parse(name: string, text: string, verdict: Verdict): void {
    this.#prepared.set(name, { text, verdict });
  }

  bind(portal: string, statement: string, params: (string | null)[], formats: number[]): void {
    const s = this.#prepared.get(statement);
    this.#portals.set(portal, { text: s?.text ?? '', params, prepared: statement, verdict: s?.verdict, formats });
    this.#shapes.delete(`P:${portal}`);
  }

  describe(kind: 'S' | 'P', name: string): void {
    this.#describes.push({ key: `${kind}:${name}`, batch: this.#batch });
  }

  /** `verdict`: the decision made at this Execute (reviewed statements), else the Parse's. */
  execute(portal: string, verdict?: Verdict): void {
    const p = this.#portals.get(portal);
    this.#push(false, p?.text ?? '', verdict ?? p?.verdict, p?.params, p?.prepared || undefined, portal);
  }

  sync(): void {
    this.#batch++;
  }

  close(kind: 'S' | 'P', name: string): void {
    if (kind === 'S') this.#prepared.delete(name);
    else this.#portals.delete(name);
    this.#shapes.delete(`${kind}:${name}`);
  }

  /** A statement the gateway stopped before the target saw it: recorded at once. */
  stopped(text: string, verdict: Verdict, code: string, message: string): void {
    this.#emit({ ...this.#event(text, verdict), error: { code, message } });
  }

  // ---- target → client

  /**
   * In the extended protocol a RowDescription only ever answers a Describe:
   * remember the shape for every later Execute of that portal/statement. In
   * the simple protocol it starts the current statement's next result.
   */
  rowDescription(columns: ColumnInfo[]): void {
    const described = this.#describes.shift();
    if (described) {
      this.#shapes.set(described.key, columns);
      return;
    }
    const head = this.#pending[0];
    if (head) this.#startResult(head, columns);
  }

  /** NoData: a Describe of something that returns no rows. */
  noData(): void {
    this.#describes.shift();
  }

  /** COPY TO STDOUT begins: masking, if any, applies to its lines. */
  copyOut(): void {
    const head = this.#pending[0];
    if (!head || head.verdict?.effect !== 'mask') return;
    const lineage = this.#lineageOf(head) ?? [];
    head.masker = this.#maskerFor(head, lineage.map((l) => ({ name: l.name })));
  }

  /** Records a DataRow; returns the message to send instead when masking changed it. */
  dataRow(buf: Buffer, start: number, end: number): Buffer | undefined {
    const head = this.#pending[0];
    if (!head) return undefined;
    if (!head.resolved) this.#resolveExtended(head);
    head.event.rowCount++;
    const masker = head.masker;
    if (masker === undefined) {
      if (this.#room(head, end - start)) this.#keep(head, dataRowValues(buf, start, head.carriage), end - start);
      return undefined;
    }
    const values = dataRowValues(buf, start, head.carriage);
    const masked = masker.row(values);
    const changed = masked.some((v, i) => v !== values[i]);
    if (this.#room(head, end - start)) this.#keep(head, masked, end - start);
    return changed ? rewriteDataRow(buf, start, values, masked, head.carriage) : undefined;
  }

  /** COPY TO STDOUT data: one recorded row per line; returns a replacement when masking changed it. */
  copyData(buf: Buffer, start: number, end: number): Buffer | undefined {
    const head = this.#pending[0];
    if (!head) return undefined;
    head.event.rowCount++;
    const line = buf.toString('utf8', start + 5, end);
    const newline = line.endsWith('\n') ? '\n' : '';
    const body = newline ? line.slice(0, -1) : line;
    let shown = body;
    let replacement: Buffer | undefined;
    if (head.masker) {
      // Text COPY format: tab-separated, \N for NULL; tabs inside values are escaped by the server.
      const values = body.split('\t').map((v) => (v === '\\N' ? null : v));
      const masked = head.masker.row(values);
      if (masked.some((v, i) => v !== values[i])) {
        shown = masked.map((v) => (v === null ? '\\N' : v)).join('\t');
        replacement = copyDataMessage(shown + newline);
      }
    }
    if (this.#room(head, end - start)) this.#keep(head, [shown], end - start);
    return replacement;
  }

  commandComplete(tag: string): void {
    const head = this.#pending[0];
    if (!head) return;
    head.event.commandTag = tag;
    if (tag === 'PREPARE') this.#notePrepared(head);
    head.results++;
    const n = rowsFromTag(tag);
    if (n !== undefined && !tag.startsWith('SELECT')) head.event.rowsAffected = (head.event.rowsAffected ?? 0) + n;
    this.#noteMasking(head);
    head.masker = undefined;
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
    // Describes the server skipped after an error in their batch get no answer.
    while (this.#describes.length > 0 && this.#describes[0]!.batch <= answered) this.#describes.shift();
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

  #startResult(head: Execution, columns: ColumnInfo[]): void {
    head.event.columns = columns.map((c) => c.name);
    head.carriage = columns.some((c) => c.format === 1) ? carriageOf(columns) : undefined;
    head.masker = this.#maskerFor(head, columns.map((c) => ({ name: c.name })));
  }

  /**
   * An Execute's rows: its shape is the portal's Describe, or the statement's
   * Describe with the Bind's result formats. A statement to mask whose shape
   * is unknown gets every value hidden (fail closed) rather than passed raw.
   */
  #resolveExtended(head: Execution): void {
    head.resolved = true;
    const portal = head.portal === undefined ? undefined : this.#portals.get(head.portal);
    if (head.portal === undefined || !portal) return;
    const own = this.#shapes.get(`P:${head.portal}`);
    const fromStatement = this.#shapes.get(`S:${portal.prepared}`);
    const formatOf = (i: number) => (portal.formats.length === 0 ? 0 : portal.formats.length === 1 ? portal.formats[0]! : (portal.formats[i] ?? 0));
    const columns = own ?? fromStatement?.map((c, i) => ({ ...c, format: formatOf(i) }));
    if (columns) this.#startResult(head, columns);
    else if (head.verdict?.effect === 'mask') head.masker = hideEverything(portal.formats);
  }

  #maskerFor(head: Execution, columns: { name: string }[]): RowMasker | undefined {
    const verdict = head.verdict;
    if (verdict?.effect !== 'mask') return undefined;
    const lineage = this.#lineageOf(head);
    const masker = createRowMasker({ plan: verdict.masks, hashKey: this.#masking.hashKey, lineage });
    masker.shape(columns);
    return masker.active ? masker : undefined;
  }

  /** Only a PREPARE that succeeded: a failed one (name taken) leaves the earlier statement in place on the server too. */
  #notePrepared(head: Execution): void {
    const name = head.verdict?.statements?.[head.results]?.preparedName;
    if (name !== undefined) this.#sqlPrepared.set(name, { text: head.event.text, index: head.results });
  }

  /** Lineage of the current result; for `EXECUTE name`, that of the query `PREPARE name` prepared. */
  #lineageOf(head: Execution): LineageEntry[] | undefined {
    const executes = head.verdict?.statements?.[head.results]?.executes;
    const prepared = executes === undefined ? undefined : this.#sqlPrepared.get(executes);
    if (prepared !== undefined) return this.#masking.lineage(prepared.text)[prepared.index];
    return this.#masking.lineage(head.event.text)[head.results];
  }

  #noteMasking(head: Execution): void {
    if (!head.masker) return;
    const c = head.masker.counts();
    const m = (head.event.masked ??= { byColumn: {}, byDetector: {} });
    for (const [col, rules] of Object.entries(c.byColumn)) {
      const into = (m.byColumn[col] ??= {});
      for (const [rule, n] of Object.entries(rules)) into[rule] = (into[rule] ?? 0) + n;
    }
    for (const [d, n] of Object.entries(c.byDetector)) m.byDetector[d] = (m.byDetector[d] ?? 0) + (n ?? 0);
  }

  #room(head: Execution, size: number): boolean {
    const e = head.event;
    if (e.rowsTruncated) return false;
    if (e.rows!.length >= this.#caps.maxRows || head.rowBytes + size > this.#caps.maxBytes) {
      e.rowsTruncated = true;
      return false;
    }
    return true;
  }

  #keep(head: Execution, values: (string | null)[], size: number): void {
    head.rowBytes += size;
    head.event.rows!.push(values);
  }

  #event(text: string, verdict: Verdict | undefined, params?: (string | null)[], prepared?: string): StatementEvent {
    const event: StatementEvent = { type: 'statement', at: this.#clock.now().toISOString(), seq: ++this.#seq, text, durationMs: 0, rows: [], rowCount: 0, rowsTruncated: false };
    if (params) event.params = params;
    if (prepared) event.prepared = prepared;
    if (verdict) event.verdict = recordedVerdict(verdict);
    return event;
  }

  #push(simple: boolean, text: string, verdict: Verdict | undefined, params?: (string | null)[], prepared?: string, portal?: string): void {
    const event = this.#event(text, verdict, params, prepared);
    this.#pending.push({ batch: this.#batch, simple, portal, resolved: simple, event, verdict, startedAt: performance.now(), rowBytes: 0, carriage: undefined, results: 0, masker: undefined });
  }

  #finish(): void {
    const done = this.#pending.shift()!;
    this.#noteMasking(done);
    done.event.durationMs = Math.round((performance.now() - done.startedAt) * 1000) / 1000;
    this.#emit(done.event);
  }
}

/** A masker for rows whose shape is unknown: every value hidden, binary ones as NULL (valid for any type). */
function hideEverything(formats: number[]): RowMasker {
  let rows = 0;
  let hidden = 0;
  const binary = (i: number) => (formats.length === 1 ? formats[0] : formats[i]) === 1;
  return {
    shape: () => undefined,
    row: (values) => {
      rows++;
      return values.map((v, i) => {
        if (v === null) return null;
        hidden++;
        return binary(i) ? null : '****';
      });
    },
    active: true,
    counts: () => ({ byColumn: { '*': { 'warden:unknown-result-shape': hidden } }, byDetector: {}, rows }),
  };
}

