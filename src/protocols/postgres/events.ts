import { clockMs, isoNow, type Clock } from '../../core/clock.ts';
import type { RowMasker } from '../../core/masking/index.ts';
import type { SessionLineage } from '../../core/masking/views.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { RecordingCaps, StatementEvent } from '../../core/recording/types.ts';
import { UploadTally } from '../../core/recording/upload-tally.ts';
import { recordedVerdict } from '../../core/recording/verdict.ts';
import type { MaskingServices } from '../../core/services.ts';
import type { ChunkWriter } from './codec/chunk-writer.ts';
import { allPresent, carriageOf, dataRowOf, dataRowValues, rewrittenDataRowSize, rowsFromTag, writeDataRow, type ColumnCarriage, type ColumnInfo } from './codec/results.ts';
import type { RelayVerdict } from './gatekeeper.ts';
import { copyOutData, startCopyOut } from './copy-out.ts';
import { keep, keepPacked, noteMasking, room, unpack, type Execution } from './execution.ts';
import { StatementPacker, type PackedSink, type RecordedColumns } from './packed-events.ts';
import { PreparedPortals } from './prepared-portals.ts';
import { ResultMasking } from './result-masking.ts';

/**
 * Wire → neutral events: follows the statements a client sends and the
 * answers the target gives. Each execution becomes one StatementEvent for the
 * recording (text, parameters, verdict, duration, tag, error, and the rows
 * the client received — after masking — up to a cap), and results of
 * statements the policy says to mask go through the RowMasker that
 * ResultMasking (result-masking.ts) picks for each result, row by row.
 *
 * Matching answers to questions relies on the protocol's ordering: a simple
 * Query is answered up to its ReadyForQuery; an extended-protocol Execute up
 * to its CommandComplete/EmptyQuery/PortalSuspended/Error, and every batch
 * ends at the ReadyForQuery that answers its Sync (executions after an error
 * are skipped by the server, so they are dropped there).
 *
 * Recording: with a packed sink, an execution is written as a packed record
 * (packed-events.ts: its DataRows as the client received them, decoded when
 * the recording is read) unless it turns out to need an event: a result that
 * travels otherwise than the one before, masked values in a binary column,
 * COPY, an error. It then becomes an event at that point, its rows so far
 * decoded, and goes on as one.
 */
export class StatementTracker {
  readonly #emit: (e: StatementEvent) => void;
  readonly #caps: RecordingCaps;
  readonly #clock: Clock;
  readonly #masking: ResultMasking;
  readonly #pending: Execution[] = [];
  readonly #extended = new PreparedPortals();
  /** The last frozen columns `#names` was asked about, and their names (shared by the events of their results). */
  #namesOf: ColumnInfo[] | undefined;
  #lastNames: string[] = [];
  /** The DataRow of the last fixed masked row (`RowMasker.fixedRow`) shown, for its carriage: written once, copied for each row. */
  #fixed: { row: readonly (string | null)[]; carriage: ColumnCarriage[] | undefined; bytes: Buffer } | undefined;
  /** The last CommandComplete tag and the rows it says were affected (`#rowsAffected`). */
  #tag: { text: string; rows: number | undefined } = { text: '', rows: undefined };
  /** The tally the client's CopyData goes to: a COPY FROM STDIN the target waits for data of. */
  #copyIn: UploadTally | undefined;
  #batch = 0;
  #answeredBatches = 0;
  #seq = 0;
  /** Writes executions as packed records, when the session's recording takes them. */
  readonly #packer: StatementPacker | undefined;
  /** The packed form of the last frozen columns (`#namesOf`). */
  #recordedColumns: RecordedColumns | undefined;

  /** `packed`: where packed records go; without it every execution is an event. */
  constructor(emit: (e: StatementEvent) => void, caps: RecordingCaps, clock: Clock, masking: MaskingServices, views?: SessionLineage, packed?: PackedSink) {
    this.#emit = emit;
    this.#caps = caps;
    this.#clock = clock;
    this.#masking = new ResultMasking(masking, views);
    this.#packer = packed && new StatementPacker(packed);
  }

  // ---- before a statement reaches the target

  /** The verdict as the relay can apply it (a binary COPY under a mask verdict is refused; see ResultMasking). */
  applicable(text: string, verdict: RelayVerdict): RelayVerdict {
    return this.#masking.applicable(text, verdict);
  }

  /** Learns the relations `text` names (views) before it runs; a promise while the catalog is asked. */
  learn(text: string, verdict: Verdict | undefined): Promise<void> | undefined {
    return this.#masking.learn(text, verdict);
  }

  /** `learn` for the statement a portal runs (an Execute). */
  learnPortal(portal: string): Promise<void> | undefined {
    const p = this.#extended.portal(portal);
    return p === undefined ? undefined : this.learn(p.text, p.verdict);
  }

  // ---- client → target

  /** `source`: the bytes `text` was decoded from (UTF-8), for the recording to copy. */
  query(text: string, verdict: Verdict, source?: Buffer): void {
    this.#push(true, text, verdict, undefined, undefined, undefined, source);
    this.#batch++;
  }

  parse(name: string, text: string, verdict: Verdict): void {
    this.#extended.parse(name, text, verdict);
  }

  bind(portal: string, statement: string, params: (string | null)[], formats: number[]): void {
    this.#extended.bind(portal, statement, params, formats);
  }

  describe(kind: 'S' | 'P', name: string): void {
    this.#extended.describe(kind, name, this.#batch);
  }

  /** `verdict`: the decision made at this Execute (reviewed statements), else the Parse's. */
  execute(portal: string, verdict?: Verdict): void {
    const p = this.#extended.portal(portal);
    this.#push(false, p?.text ?? '', verdict ?? p?.verdict, p?.params, p?.prepared || undefined, portal);
  }

  sync(): void {
    this.#batch++;
  }

  close(kind: 'S' | 'P', name: string): void {
    this.#extended.close(kind, name);
  }

  /**
   * A CopyData of the client's: data of the COPY FROM STDIN in progress, between `start` and
   * `end` of `buf`. Outside one (the server ignores such messages) it is not recorded.
   */
  copyInData(buf: Buffer, start: number, end: number): void {
    this.#copyIn?.add(buf.subarray(start, end));
  }

  /** CopyDone or CopyFail: the client's data is over (a CopyFail's reason comes back in the target's error). */
  copyInEnded(): void {
    this.#copyIn = undefined;
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
    if (this.#extended.described(columns)) return;
    const head = this.#pending[0];
    if (head) this.#startResult(head, columns);
  }

  /** NoData: a Describe of something that returns no rows. */
  noData(): void {
    this.#extended.noData();
  }

  /** COPY TO STDOUT begins (`binary`: CopyOutResponse's overall format): see copy-out.ts. */
  copyOut(binary: boolean): void {
    const head = this.#pending[0];
    if (!head) return;
    if (head.packed) unpack(head);
    startCopyOut(head, binary, this.#masking);
  }

  /** Records a DataRow; when masking changed it, writes the masked row in its place into `out` (the relay's outgoing chunk). */
  dataRow(buf: Buffer, start: number, end: number, out: ChunkWriter): void {
    const head = this.#pending[0];
    if (!head) return;
    if (!head.resolved) this.#resolveExtended(head);
    head.event.rowCount++;
    const masker = head.masker;
    if (masker === undefined) {
      if (!room(head, this.#caps, end - start)) return;
      if (!head.packed) return keep(head, dataRowValues(buf, start, head.carriage), end - start);
      // Kept as it passed (chunks are never reused), decoded when the recording is read.
      return keepPacked(head, buf.subarray(start, end), end - start);
    }
    const fixed = masker.fixedRow;
    if (fixed !== undefined && allPresent(buf, start, fixed.length)) {
      this.#showFixed(head, masker, fixed, start, end, out);
      return;
    }
    const values = dataRowValues(buf, start, head.carriage);
    const masked = masker.row(values);
    const kept = room(head, this.#caps, end - start);
    if (kept && !head.packed) keep(head, masked, end - start);
    let i = 0;
    while (i < masked.length && masked[i] === values[i]) i++;
    if (i === masked.length) {
      if (kept && head.packed) keepPacked(head, buf.subarray(start, end), end - start);
      return;
    }
    const size = rewrittenDataRowSize(buf, start, values, masked, head.carriage);
    const at = out.reserve(start, end, size); // before `out.buffer`: reserving may grow it
    writeDataRow(out.buffer, at, buf, start, values, masked, head.carriage);
    // The row as rewritten (the outgoing buffer is never reused; one grown later leaves this one as it is).
    if (kept && head.packed) keepPacked(head, out.buffer.subarray(at, at + size), end - start);
  }

  /**
   * A row every one of whose values its masker hides whole: what the client sees is the same for
   * every such row, so the values are not read and the masked DataRow is written once per shape.
   */
  #showFixed(head: Execution, masker: RowMasker, fixed: readonly (string | null)[], start: number, end: number, out: ChunkWriter): void {
    masker.fixedRowShown();
    let f = this.#fixed;
    if (f === undefined || f.row !== fixed || f.carriage !== head.carriage) this.#fixed = f = { row: fixed, carriage: head.carriage, bytes: dataRowOf(fixed, head.carriage) };
    // Frozen and shared by every row of the shape: the recording only reads it (packed: the DataRow made once).
    if (room(head, this.#caps, end - start)) {
      if (head.packed) keepPacked(head, f.bytes, end - start);
      else keep(head, fixed as (string | null)[], end - start);
    }
    out.replace(start, end, f.bytes);
  }

  /** COPY TO STDOUT data (copy-out.ts): what to send instead, or undefined to send it as it is. */
  copyData(buf: Buffer, start: number, end: number): Buffer | undefined {
    const head = this.#pending[0];
    return head === undefined ? undefined : copyOutData(head, buf, start, end, this.#masking, this.#keepLine);
  }

  /** One COPY line as the client got it, kept for the recording while within the caps. */
  readonly #keepLine = (head: Execution, line: string): void => {
    if (room(head, this.#caps, line.length)) keep(head, [line], line.length);
  };

  /**
   * CopyInResponse: the statement at the head waits for the client's data (COPY FROM STDIN). The
   * client sends it only after seeing this message, which the relay handles first.
   */
  copyIn(): void {
    const head = this.#pending[0];
    if (head?.packed) unpack(head);
    this.#copyIn = head === undefined ? undefined : (head.upload ??= new UploadTally());
  }

  commandComplete(tag: string): void {
    const head = this.#pending[0];
    if (!head) return;
    head.event.commandTag = tag;
    this.#masking.completed(head, tag);
    head.copy = undefined;
    head.index++;
    const n = this.#rowsAffected(tag);
    if (n !== undefined) head.event.rowsAffected = (head.event.rowsAffected ?? 0) + n;
    noteMasking(head);
    head.masker = undefined;
    if (!head.simple) this.#finish();
  }

  /**
   * The rows a tag says were affected (`UPDATE 3`; undefined for `SELECT n` and tags without a
   * count). The relay hands out the same string while a tag repeats: the last answer again, with
   * no slice, number parse or prefix test per statement.
   */
  #rowsAffected(tag: string): number | undefined {
    if (tag === this.#tag.text) return this.#tag.rows;
    const n = rowsFromTag(tag);
    const rows = n !== undefined && !tag.startsWith('SELECT') ? n : undefined;
    this.#tag = { text: tag, rows };
    return rows;
  }

  /** EmptyQueryResponse or PortalSuspended: the execution is over without a tag. */
  executionEnded(): void {
    const head = this.#pending[0];
    if (head && !head.simple) this.#finish();
  }

  error(code: string, message: string): void {
    const head = this.#pending[0];
    if (!head) return;
    if (head.packed) unpack(head);
    head.event.error = { code, message };
    if (!head.simple) this.#finish();
  }

  /** `status`: the transaction status ReadyForQuery carries (`I` idle, `T` in a transaction, `E` failed). */
  readyForQuery(status: number): void {
    if (status === 0x49 /* I */) this.#masking.idle();
    const answered = this.#answeredBatches++;
    this.#extended.answered(answered);
    while (this.#pending.length > 0 && this.#pending[0]!.batch <= answered) {
      if (this.#pending[0]!.simple) this.#finish();
      else this.#pending.shift(); // skipped by the server after an earlier error in its batch
    }
  }

  /** Records what is still in flight (session ending mid-statement). */
  flush(reason: string): void {
    while (this.#pending.length > 0) {
      const head = this.#pending[0]!;
      if (head.packed) unpack(head);
      head.event.error ??= { code: '', message: `no answer: ${reason}` };
      this.#finish();
    }
  }

  #startResult(head: Execution, columns: ColumnInfo[]): void {
    const carriage = columns.some((c) => c.format === 1) ? carriageOf(columns) : undefined;
    // A packed record decodes all its rows one way: a later result whose values travel otherwise (never in
    // the simple protocol, where every value is text) makes the execution an event.
    if (head.packed && head.index > 0 && (carriage !== undefined || head.carriage !== undefined)) unpack(head);
    head.event.columns = this.#names(columns);
    head.carriage = carriage;
    head.masker = this.#masking.forResult(head, columns);
    if (!head.packed) return;
    // A masked row is recorded as rewritten, and read back as its values only when every value travels as text.
    if (head.masker !== undefined && head.carriage !== undefined) unpack(head);
    else head.columns = columns === this.#namesOf ? (this.#recordedColumns ??= Object.freeze({ names: this.#lastNames, carriage: head.carriage ?? null })) : { names: head.event.columns, carriage: head.carriage ?? null };
  }

  /**
   * The column names a result's event records. The relay hands out the same frozen columns while
   * the RowDescription repeats (every execution of a prepared statement): their names, once.
   */
  #names(columns: ColumnInfo[]): string[] {
    if (columns === this.#namesOf) return this.#lastNames;
    const names = columns.map((c) => c.name);
    if (Object.isFrozen(columns)) {
      // Shared by the events of every result of this shape: frozen, so the recording writes their JSON once (json-line.ts).
      this.#namesOf = columns;
      this.#lastNames = Object.freeze(names) as string[];
      this.#recordedColumns = undefined;
    }
    return names;
  }

  /**
   * An Execute's rows: its shape is the portal's Describe, or the statement's
   * Describe with the Bind's result formats. A statement to mask whose shape
   * is unknown gets every value hidden (fail closed) rather than passed raw.
   */
  #resolveExtended(head: Execution): void {
    head.resolved = true;
    const portal = head.portal === undefined ? undefined : this.#extended.portal(head.portal);
    if (head.portal === undefined || !portal) return;
    const columns = this.#extended.shapeOf(head.portal, portal);
    if (columns) this.#startResult(head, columns);
    else {
      head.masker = this.#masking.forUnknownShape(head.verdict, portal.formats);
      if (head.masker !== undefined && head.packed) unpack(head);
    }
  }

  /** A statement's event; `packed`: without its time (the packed record has it; execution.ts' `unpack` sets it). */
  #event(text: string, verdict: Verdict | undefined, params?: (string | null)[], prepared?: string, packed = false): StatementEvent {
    const event: StatementEvent = { type: 'statement', at: packed ? '' : this.#now(), seq: ++this.#seq, text, durationMs: 0, rows: [], rowCount: 0, rowsTruncated: false };
    if (params) event.params = params;
    if (prepared) event.prepared = prepared;
    if (verdict) event.verdict = recordedVerdict(verdict);
    return event;
  }

  #push(simple: boolean, text: string, verdict: Verdict | undefined, params?: (string | null)[], prepared?: string, portal?: string, source?: Buffer): void {
    const packed = this.#packer !== undefined;
    const event = this.#event(text, verdict, params, prepared, packed);
    const atMs = packed ? clockMs(this.#clock) : 0;
    this.#pending.push({ text, verdict, index: 0, batch: this.#batch, simple, portal, resolved: simple, event, packed, atMs, source, packedRows: undefined, columns: undefined, startedAt: performance.now(), rowBytes: 0, carriage: undefined, masker: undefined, copy: undefined, upload: undefined });
  }

  #now(): string {
    return isoNow(this.#clock);
  }

  #finish(): void {
    const done = this.#pending.shift()!;
    noteMasking(done);
    // What the client sent, also when the COPY failed or the session ended during it (`error` says so).
    if (done.upload !== undefined) done.event.upload = done.upload.result();
    const durationMs = Math.round((performance.now() - done.startedAt) * 1000) / 1000;
    const e = done.event;
    if (done.packed) {
      this.#packer!.end(e, done, durationMs);
      return;
    }
    e.durationMs = durationMs;
    this.#emit(e);
  }
}

