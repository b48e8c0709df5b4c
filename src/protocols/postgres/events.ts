import type { Clock } from '../../core/clock.ts';
import { createRowMasker, ShapeCache, type LineageEntry, type RowMasker } from '../../core/masking/index.ts';
import type { CopyFormat } from '../../core/masking/statements.ts';
import type { SessionLineage } from '../../core/masking/views.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { StatementEvent } from '../../core/recording/types.ts';
import { recordedVerdict } from '../../core/recording/verdict.ts';
import type { MaskingServices } from '../../core/services.ts';
import { CopyLineReader, writeCopyRow, type LineFormat } from './codec/copy.ts';
import { carriageOf, copyDataMessage, dataRowValues, rewriteDataRow, rowsFromTag, type ColumnCarriage, type ColumnInfo } from './codec/results.ts';
import type { RelayVerdict } from './gatekeeper.ts';

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
  /** COPY TO STDOUT in progress: how its lines are split, and whether a masker is due at the first row. */
  copy: { reader: CopyLineReader; format: LineFormat; header: boolean; mask: boolean } | 'binary' | undefined;
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
  /** SQL cursors (`DECLARE name CURSOR FOR …`) by name, so the rows of `FETCH … name` get that query's lineage. */
  readonly #cursors = new Map<string, { text: string; index: number; hold: boolean }>();
  /** Column decisions of earlier results, reused when the same statement shape comes back. */
  readonly #decided = new ShapeCache();
  /** Lineage that sees through views; undefined: tables only (no catalog). */
  readonly #views: SessionLineage | undefined;
  #batch = 0;
  #answeredBatches = 0;
  #seq = 0;

  constructor(emit: (e: StatementEvent) => void, caps: RecordingCaps, clock: Clock, masking: MaskingServices, views?: SessionLineage) {
    this.#emit = emit;
    this.#caps = caps;
    this.#clock = clock;
    this.#masking = masking;
    this.#views = views;
  }

  // ---- before a statement reaches the target

  /**
   * The verdict as the relay can apply it: a binary COPY cannot be masked
   * (its values are typed binary the gateway does not decode), so under a
   * mask verdict it is refused. fail closed.
   */
  applicable(text: string, verdict: RelayVerdict): RelayVerdict {
    if (verdict.effect !== 'mask' || !this.#masking.facts(text).some((f) => f.copy?.format === 'binary')) return verdict;
    const message = 'binary COPY results cannot be masked; use COPY … TO STDOUT in text or CSV format';
    return { effect: 'block', rules: verdict.rules, message, sqlstate: '0A000', ...(verdict.statements ? { statements: verdict.statements } : {}) };
  }

  /**
   * Learns what the relations `text` names stand for (views), before it runs:
   * a promise while the catalog is asked, undefined when nothing is to learn.
   * For `EXECUTE name` / `FETCH … name`, the prepared or declared query's text.
   */
  learn(text: string, verdict: Verdict | undefined): Promise<void> | undefined {
    const views = this.#views;
    if (views === undefined || verdict?.effect !== 'mask' || verdict.masks.columns.length === 0) return undefined;
    const own = views.learn(text);
    // The texts behind `EXECUTE name` and `FETCH … name` too (their lineage is that text's).
    const behind: string[] = [];
    for (const st of verdict.statements ?? []) if (st.executes !== undefined) behind.push(this.#sqlPrepared.get(st.executes)?.text ?? '');
    for (const f of this.#masking.facts(text)) if (f.cursor?.op === 'fetch') behind.push(this.#cursors.get(f.cursor.name)?.text ?? '');
    if (behind.length === 0) return own;
    const pending = behind.map((t) => (t === '' ? undefined : views.learn(t))).filter((p): p is Promise<void> => p !== undefined);
    if (own) pending.push(own);
    return pending.length === 0 ? undefined : Promise.all(pending).then(() => undefined);
  }

  /** `learn` for the statement a portal runs (an Execute). */
  learnPortal(portal: string): Promise<void> | undefined {
    const p = this.#portals.get(portal);
    return p === undefined ? undefined : this.learn(p.text, p.verdict);
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

  /**
   * COPY TO STDOUT begins (`binary`: CopyOutResponse's overall format).
   * Text and CSV lines are split into columns with the COPY's own options;
   * the masker is built at the first row, when the column count is known.
   */
  copyOut(binary: boolean): void {
    const head = this.#pending[0];
    if (!head) return;
    const mask = head.verdict?.effect === 'mask';
    if (binary) {
      head.copy = 'binary';
      return;
    }
    const f: CopyFormat = this.#masking.facts(head.event.text)[head.results]?.copy ?? { format: 'text', delimiter: '\t', null: '\\N' };
    const format: LineFormat = f.format === 'binary' ? { format: 'text', delimiter: '\t', null: '\\N' } : f;
    head.copy = { reader: new CopyLineReader(format), format, header: format.format === 'csv' && format.header, mask };
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

  /**
   * COPY TO STDOUT data: one recorded row per line. Returns what to send
   * instead when masking changed a row, or when a row is split over CopyData
   * messages (its start is held back and sent whole with its end).
   */
  copyData(buf: Buffer, start: number, end: number): Buffer | undefined {
    const head = this.#pending[0];
    if (!head || head.copy === undefined) return undefined;
    // fail closed: binary COPY under a mask verdict is refused before it runs; should one start anyway, no byte of it passes.
    if (head.copy === 'binary') return head.verdict?.effect === 'mask' ? Buffer.alloc(0) : undefined;
    const copy = head.copy;
    const held = copy.reader.holding;
    const rows = copy.reader.push(buf.subarray(start + 5, end));
    let changed = held || copy.reader.holding;
    const out: string[] = [];
    for (const row of rows) {
      if (copy.header) {
        copy.header = false;
        out.push(row.raw);
        if (copy.mask) head.masker = this.#copyMasker(head, row.values.length, row.values.map((v) => v ?? ''));
        copy.mask = false;
        continue;
      }
      if (copy.mask) {
        head.masker = this.#copyMasker(head, row.values.length);
        copy.mask = false;
      }
      head.event.rowCount++;
      let shown = row.raw;
      if (head.masker) {
        const masked = head.masker.row(row.values);
        if (masked.some((v, i) => v !== row.values[i])) {
          shown = writeCopyRow(copy.format, row, masked);
          changed = true;
        }
      }
      out.push(shown);
      const line = shown.endsWith(row.eol) ? shown.slice(0, shown.length - row.eol.length) : shown;
      if (this.#room(head, line.length)) this.#keep(head, [line], line.length);
    }
    if (!changed) return undefined;
    return out.length === 0 ? Buffer.alloc(0) : copyDataMessage(out.join(''));
  }

  commandComplete(tag: string): void {
    const head = this.#pending[0];
    if (!head) return;
    head.event.commandTag = tag;
    if (tag === 'PREPARE') this.#notePrepared(head);
    else if (tag === 'DECLARE CURSOR' || tag === 'CLOSE CURSOR' || tag === 'CLOSE CURSOR ALL') this.#noteCursor(head);
    else if (/^(CREATE|ALTER|DROP|IMPORT) /.test(tag) || head.verdict?.statements?.[head.results]?.class === 'ddl') this.#views?.schemaChanged();
    head.copy = undefined;
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

  /** `status`: the transaction status ReadyForQuery carries (`I` idle, `T` in a transaction, `E` failed). */
  readyForQuery(status: number): void {
    if (status === 0x49 /* I */) {
      // Outside a transaction: cursors without HOLD are gone, and DDL it made is visible to the catalog.
      for (const [name, c] of this.#cursors) if (!c.hold) this.#cursors.delete(name);
      this.#views?.idle();
    }
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
    head.masker = this.#maskerFor(head, columns.map((c) => ({ name: c.name })), columns.map((c) => c.format));
  }

  /** The masker for a COPY's lines, once the first row tells how many columns there are (and a CSV header their names). */
  #copyMasker(head: Execution, count: number, header?: string[]): RowMasker | undefined {
    const lineage = this.#lineageOf(head);
    const named = lineage !== 'unknown' && lineage !== undefined && lineage.length === count && !lineage.some((l) => l.star === true);
    // `COPY table` names no column on the wire: the catalog does, when it knows the table.
    const whole = lineage !== 'unknown' && lineage?.length === 1 && lineage[0]!.star === true && lineage[0]!.sources.length === 1 ? lineage[0]!.sources[0] : undefined;
    const fromCatalog = whole?.column === '*' ? this.#views?.tableColumns(whole.schema, whole.table) : undefined;
    const catalogNames = fromCatalog?.length === count ? fromCatalog : undefined;
    // Columns still unnamed stay `*`: a column rule on the table then covers each as a whole row (fail closed).
    const names = Array.from({ length: count }, (_, i) => header?.[i] ?? catalogNames?.[i] ?? (named ? lineage[i]!.name : '*'));
    return this.#maskerFor(head, names.map((name) => ({ name })), []);
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
    else if (head.verdict?.effect === 'mask') head.masker = hideEverything(portal.formats, 'warden:unknown-result-shape');
  }

  #maskerFor(head: Execution, columns: { name: string }[], formats: number[]): RowMasker | undefined {
    const verdict = head.verdict;
    if (verdict?.effect !== 'mask') return undefined;
    const lineage = this.#lineageOf(head);
    // fail closed: a result whose relations could not be resolved (a view not learned) is hidden whole.
    if (lineage === 'unknown') return hideEverything(formats, 'warden:unknown-lineage');
    const masker = createRowMasker({ plan: verdict.masks, hashKey: this.#masking.hashKey, lineage, shapes: this.#decided });
    masker.shape(columns);
    return masker.active ? masker : undefined;
  }

  /** Only a PREPARE that succeeded: a failed one (name taken) leaves the earlier statement in place on the server too. */
  #notePrepared(head: Execution): void {
    const name = head.verdict?.statements?.[head.results]?.preparedName;
    if (name !== undefined) this.#sqlPrepared.set(name, { text: head.event.text, index: head.results });
  }

  /** A `DECLARE` that succeeded is remembered by name; `CLOSE` forgets (`CLOSE ALL`: every one). */
  #noteCursor(head: Execution): void {
    const op = this.#masking.facts(head.event.text)[head.results]?.cursor;
    if (op?.op === 'declare') this.#cursors.set(op.name, { text: head.event.text, index: head.results, hold: op.hold });
    else if (op?.op === 'close') {
      if (op.name === undefined) this.#cursors.clear();
      else this.#cursors.delete(op.name);
    }
  }

  /**
   * Lineage of the current result; for `EXECUTE name`, that of the query
   * `PREPARE name` prepared; for `FETCH … name`, that of the cursor's query.
   * `unknown`: the result's sources cannot be told (fail closed: hide it).
   */
  #lineageOf(head: Execution): LineageEntry[] | undefined | 'unknown' {
    let text = head.event.text;
    let index = head.results;
    const executes = head.verdict?.statements?.[head.results]?.executes;
    const prepared = executes === undefined ? undefined : this.#sqlPrepared.get(executes);
    const cursor = this.#masking.facts(text)[index]?.cursor;
    if (prepared !== undefined) ({ text, index } = prepared);
    else if (cursor?.op === 'fetch') {
      const declared = this.#cursors.get(cursor.name);
      // fail closed: a cursor not declared through this session's SQL (a function's refcursor) has unknown rows.
      if (declared === undefined) return head.verdict?.effect === 'mask' && head.verdict.masks.columns.length > 0 ? 'unknown' : undefined;
      ({ text, index } = declared);
    }
    if (this.#views === undefined || head.verdict?.effect !== 'mask' || head.verdict.masks.columns.length === 0) return this.#masking.lineage(text)[index];
    const all = this.#views.lineage(text);
    if (index >= all.length) return undefined; // unparseable: no lineage, as without views
    return all[index] ?? 'unknown';
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
    this.#pending.push({ batch: this.#batch, simple, portal, resolved: simple, event, verdict, startedAt: performance.now(), rowBytes: 0, carriage: undefined, results: 0, masker: undefined, copy: undefined });
  }

  #finish(): void {
    const done = this.#pending.shift()!;
    this.#noteMasking(done);
    done.event.durationMs = Math.round((performance.now() - done.startedAt) * 1000) / 1000;
    this.#emit(done.event);
  }
}

/** A masker for rows whose shape is unknown: every value hidden, binary ones as NULL (valid for any type). */
function hideEverything(formats: number[], rule: string): RowMasker {
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
    counts: () => ({ byColumn: { '*': { [rule]: hidden } }, byDetector: {}, rows }),
  };
}

