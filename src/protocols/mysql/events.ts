import { clockMs, isoNow, type Clock } from '../../core/clock.ts';
import { anySource, createRowMasker, type LineageEntry, type MaskPlan, type RowMasker } from '../../core/masking/index.ts';
import type { SessionLineage } from '../../core/masking/views.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { RecordingCaps, StatementEvent } from '../../core/recording/types.ts';
import { UploadTally } from '../../core/recording/upload-tally.ts';
import { recordedVerdict } from '../../core/recording/verdict.ts';
import type { MysqlLineage } from '../../core/sql/mysql/index.ts';
import { isStringColumn, textRowValues, type ColumnDef } from './codec/results.ts';
import { binaryRowValues, decodeBinaryRow, rebuildBinaryRow, type BinaryColumn } from './codec/binary-rows.ts';
import { buildTextRow, textRowCells } from './codec/rows.ts';
import { StatementPacker, type PackedSink, type RecordedColumns } from './packed-events.ts';

interface Current {
  event: StatementEvent;
  /** Whether the statement is being packed (its `event` then has no `at` and no rows yet). */
  packed: boolean;
  /** When it was sent (ms since the epoch), while packed. */
  atMs: number;
  /** Rows recorded while packed. */
  recorded: number;
  startedAt: number;
  rowBytes: number;
  binary: boolean;
  verdict: Verdict | undefined;
  /** The current result set's masker, when the verdict masks and some rule or detector applies. */
  masker: RowMasker | undefined;
  /** Column types of the current result set (binary rows are decoded by them). */
  types: BinaryColumn[] | undefined;
  /** The current result set's columns as a packed record refers to them. */
  columns: RecordedColumns | undefined;
  /** Result sets of this command so far (the n-th belongs to the n-th statement of a multi-statement text). */
  results: number;
  /** The file the client sends for a LOAD DATA LOCAL INFILE, tallied as it passes. */
  upload: UploadTally | undefined;
}

/**
 * Wire → neutral events: one StatementEvent per COM_QUERY or
 * COM_STMT_EXECUTE (text, prepared statement id, verdict, duration, affected
 * rows, error, and the rows the client received up to the caps). The relay
 * runs one command at a time, so there is at most one statement in flight.
 * Binary-protocol rows (COM_STMT_EXECUTE) are decoded by their column types.
 *
 * Masking: when the verdict is `mask`, each result set gets a RowMasker
 * shaped by its column definitions (original schema, table and column) and,
 * when column rules apply, the lineage of the statement's text: the
 * definitions name a derived table's or CTE's alias, not the base column,
 * so `select e from (select email e from t) d` needs the text to see
 * `t.email`. Each row — text or binary — is rewritten when a value changed
 * (binary: see codec/binary-rows.ts). Views are seen through with the
 * session's view lineage (`learn` before the statement goes, from the
 * target's catalog: catalog.ts), since their column definitions name the view.
 *
 * Recording: with a packed sink, a statement is written as a packed record
 * (packed-events.ts: its rows as the packets the client received, decoded
 * when the recording is read) unless it turns out to need an event: a second
 * result set, masked values, an error or an upload. It then becomes an event
 * at that point, its rows so far decoded, and goes on as one.
 */
export class StatementTracker {
  readonly #emit: (e: StatementEvent) => void;
  readonly #caps: RecordingCaps;
  readonly #clock: Clock;
  readonly #hashKey: Uint8Array | string;
  readonly #lineage: MysqlLineage | undefined;
  readonly #openViews: (() => SessionLineage) | undefined;
  /** Opened on the first statement that masks columns: sessions that never do cost nothing. */
  #views: SessionLineage | undefined;
  #current: Current | undefined;
  #seq = 0;
  /** What the last column definitions gave (the relay hands out the same array for identical definitions). */
  #shapeOf: readonly ColumnDef[] | undefined;
  #names: string[] = [];
  #types: BinaryColumn[] = [];
  #columns: RecordedColumns | undefined;
  /** Writes statements as packed records, when the session's recording takes them. */
  readonly #packer: StatementPacker | undefined;

  /**
   * `lineage`: of statement texts; without it, masking goes by the column
   * definitions alone. `views`: opens the session's view lineage; without
   * it, views are tables. `packed`: where packed records go; without it every
   * statement is an event.
   */
  constructor(emit: (e: StatementEvent) => void, caps: RecordingCaps, clock: Clock, hashKey: Uint8Array | string, lineage?: MysqlLineage, views?: () => SessionLineage, packed?: PackedSink) {
    this.#emit = emit;
    this.#caps = caps;
    this.#clock = clock;
    this.#hashKey = hashKey;
    this.#lineage = lineage;
    this.#openViews = views;
    this.#packer = packed && new StatementPacker(packed);
  }

  /**
   * Learns what the relations of `text` stand for (views), before it runs
   * under `verdict`: a promise while the catalog is asked (it never
   * rejects: a failed lookup leaves the relations unknown), undefined when
   * nothing is to learn — no column rule, a text whose lineage is unknown
   * anyway, or one learned and fresh (the hot path).
   */
  learn(text: string, verdict: Verdict | undefined): Promise<void> | undefined {
    if (verdict?.effect !== 'mask' || verdict.masks.columns.length === 0 || this.#openViews === undefined || !this.#followed(text)) return undefined;
    return (this.#views ??= this.#openViews()).learn(text);
  }

  /** Ends the session's view lineage (its catalog connection). */
  close(): void {
    this.#views?.close();
  }

  /** Whether rows of the statement in flight may be rewritten (the relay then forwards packet by packet). */
  get masking(): boolean {
    return this.#current?.verdict?.effect === 'mask';
  }

  /**
   * A statement sent to the target; `prepared`: the statement id of a COM_STMT_EXECUTE.
   * `source`: the command's payload when `text` is its UTF-8 from byte 1 (a COM_QUERY).
   */
  begin(text: string, verdict: Verdict | undefined, prepared?: string, source?: Buffer): void {
    const packer = this.#packer;
    const event = this.#event(text, verdict, prepared, packer !== undefined);
    const atMs = packer === undefined ? 0 : clockMs(this.#clock);
    packer?.begin(event.seq, atMs, text, source, prepared, verdict);
    this.#current = { event, packed: packer !== undefined, atMs, recorded: 0, startedAt: performance.now(), rowBytes: 0, binary: prepared !== undefined, verdict, masker: undefined, types: undefined, columns: undefined, results: 0, upload: undefined };
  }

  /** A statement the gateway stopped before the target saw it: recorded at once. */
  stopped(text: string, verdict: Verdict | undefined, code: string, message: string): void {
    this.#emit({ ...this.#event(text, verdict), error: { code, message } });
  }

  /** A result set starts: its columns (the last result's names stay recorded, as for PostgreSQL). */
  columns(defs: readonly ColumnDef[]): void {
    const c = this.#current;
    if (!c) return;
    // A second result set: its rows decode by other columns than the first's, which a packed record does not hold.
    if (c.packed && c.results > 0) this.#unpack(c);
    if (defs !== this.#shapeOf) {
      this.#shapeOf = defs;
      // Shared by the events of every result with these definitions: frozen, never changed in place.
      this.#names = Object.freeze(defs.map((d) => d.name)) as string[];
      this.#types = Object.freeze(defs.map((d) => ({ type: d.type, unsigned: (d.flags & 0x20) !== 0 }))) as BinaryColumn[];
      this.#columns = undefined;
    }
    c.event.columns = this.#names;
    c.types = this.#types;
    if (c.packed) this.#packer!.columns((c.columns = this.#columns ??= Object.freeze({ names: this.#names, types: this.#types })));
    this.#noteMasking(c);
    c.masker = undefined;
    const result = c.results++;
    const verdict = c.verdict;
    if (verdict?.effect !== 'mask') return;
    const lineage = this.#lineageOf(verdict.masks, c.event.text, result);
    const masker = createRowMasker({ plan: verdict.masks, hashKey: this.#hashKey, lineage });
    // Column definitions name the source: org_table/org_name of a plain column, empty for an expression.
    masker.shape(defs.map((d) => ({ name: d.name, text: isStringColumn(d), ...(d.orgTable ? { table: { schema: d.schema, name: d.orgTable }, column: d.orgName || d.name } : {}) })));
    if (!masker.active) return;
    c.masker = masker;
    // Masked values are counted in the event (and the rows recorded are the masked ones, as rewritten).
    if (c.packed) this.#unpack(c);
  }

  /** Records a row; returns the payload to send instead when masking changed it. */
  row(payload: Buffer): Buffer | undefined {
    const c = this.#current;
    if (!c) return undefined;
    const e = c.event;
    e.rowCount++;
    if (!e.rowsTruncated && ((c.packed ? c.recorded : e.rows!.length) >= this.#caps.maxRows || c.rowBytes + payload.length > this.#caps.maxBytes)) e.rowsTruncated = true;
    const record = !e.rowsTruncated;
    if (c.packed) {
      // Nothing masks a packed statement's rows: recorded as they pass, decoded when the recording is read.
      if (record) {
        c.rowBytes += payload.length;
        c.recorded++;
        this.#packer!.row(payload);
      }
      return undefined;
    }
    // Past the recording cap and with nothing to mask, a row passes without being decoded.
    if (!record && !c.masker) return undefined;
    let shown: (string | null)[];
    let replacement: Buffer | undefined;
    if (c.binary) {
      // fail closed: binary rows without column definitions cannot be decoded, nor masked.
      if (!c.types) throw new Error('a binary-protocol row before its column definitions');
      if (!c.masker) shown = binaryRowValues(payload, c.types);
      else {
        const row = decodeBinaryRow(payload, c.types);
        shown = c.masker.row(row.values);
        if (shown !== row.values && shown.some((v, i) => v !== row.values[i])) replacement = rebuildBinaryRow(payload, row, shown);
      }
    } else if (!c.masker) shown = textRowValues(payload, c.types?.length);
    else {
      const cells = textRowCells(payload);
      const values = cells.map((v) => (v === null ? null : v.toString('utf8')));
      shown = c.masker.row(values);
      if (shown !== values && shown.some((v, i) => v !== values[i])) replacement = buildTextRow(cells, shown.map((v, i) => (v === values[i] ? undefined : v)));
    }
    if (record) {
      c.rowBytes += payload.length;
      // The first row in an array of its own size: pushed into the empty one, it reserved room for 17 (most results here are one row).
      if (e.rows!.length === 0) e.rows = [shown];
      else e.rows!.push(shown);
    }
    return replacement;
  }

  /** The target asked the client for the file `requested` (LOCAL INFILE) and the request went to the client. */
  upload(requested: string): void {
    const c = this.#current;
    if (!c) return;
    if (c.packed) this.#unpack(c);
    c.upload = new UploadTally(requested);
  }

  /** A packet of the client's file (its payload), on its way to the target. */
  uploaded(data: Buffer): void {
    this.#current?.upload?.add(data);
  }

  ok(affectedRows: number): void {
    const e = this.#current?.event;
    if (e && affectedRows > 0) e.rowsAffected = (e.rowsAffected ?? 0) + affectedRows;
  }

  error(code: number, message: string): void {
    const c = this.#current;
    if (!c) return;
    if (c.packed) this.#unpack(c);
    c.event.error = { code: String(code), message };
  }

  /** The answer is complete. */
  end(): void {
    const c = this.#current;
    if (!c) return;
    this.#current = undefined;
    this.#noteMasking(c);
    // A statement that may have changed a view (DDL, or one whose effect is unknown: EXECUTE of a
    // prepared text): MySQL's DDL commits at once, so asking the catalog again is enough.
    if (this.#views !== undefined && c.verdict?.statements?.some((s) => s.class === 'ddl' || s.class === 'unknown')) {
      this.#views.schemaChanged();
      this.#views.idle();
    }
    // What passed of the file, also when the load failed or the session ended during it (`error` says so).
    if (c.upload !== undefined) c.event.upload = c.upload.result();
    const durationMs = Math.round((performance.now() - c.startedAt) * 1000) / 1000;
    const e = c.event;
    if (c.packed) return this.#packer!.end(durationMs, e.rowCount, e.rowsTruncated, e.rowsAffected, c.binary);
    e.durationMs = durationMs;
    this.#emit(e);
  }

  /** Records what is still in flight (session ending mid-statement). */
  flush(reason: string): void {
    const c = this.#current;
    if (!c) return;
    if (c.packed) this.#unpack(c);
    c.event.error ??= { code: '', message: `no answer: ${reason}` };
    this.end();
  }

  /** The statement stops being packed and becomes an event: its start and rows so far go into the event. */
  #unpack(c: Current): void {
    c.packed = false;
    c.event.at = new Date(c.atMs).toISOString();
    if (c.recorded > 0) c.event.rows = this.#packer!.takeRows(c.columns, c.binary);
  }

  /**
   * The lineage of the `result`-th result set of `text` under `plan`, when it
   * can be told: a single SELECT, or a text of SELECTs only (one result each).
   * undefined: the column definitions alone decide (as before lineage).
   * A plan of detectors only gets the lineage too — it says which columns are
   * computed (the lenient detectors) and which share a source (read joined) —
   * but over tables only, as for PostgreSQL: views are looked up (`learn`)
   * for column rules alone, so such a plan never opens a catalog connection.
   */
  #lineageOf(plan: MaskPlan, text: string, result: number): LineageEntry[] | undefined {
    if (plan.columns.length === 0 && plan.detectors.length === 0) return undefined;
    if (!this.#followed(text)) return undefined;
    if (this.#openViews === undefined || plan.columns.length === 0) return this.#lineage!(text)![result];
    // fail closed: a statement naming a relation the catalog did not confirm (lookup failed, or not
    // learned) may read any column through it: every column is masked by the strictest column rule.
    return (this.#views ??= this.#openViews()).lineage(text)[result] ?? unconfirmed;
  }

  /** Whether lineage follows `text`: a single SELECT or a text of SELECTs only (see #lineageOf). */
  #followed(text: string): boolean {
    const all = this.#lineage?.(text);
    return all !== undefined && !all.some((l) => l === undefined || l.length === 0);
  }

  /** Adds the current result's masking counts to the event (values never, counts only). */
  #noteMasking(c: Current): void {
    if (!c.masker) return;
    const counts = c.masker.counts();
    const m = (c.event.masked ??= { byColumn: {}, byDetector: {} });
    for (const [col, rules] of Object.entries(counts.byColumn)) {
      const into = (m.byColumn[col] ??= {});
      for (const [rule, n] of Object.entries(rules)) into[rule] = (into[rule] ?? 0) + n;
    }
    for (const [d, n] of Object.entries(counts.byDetector)) m.byDetector[d] = (m.byDetector[d] ?? 0) + (n ?? 0);
    c.masker = undefined;
  }

  /** A statement's event; `packed`: without its time (the packed record has it; #unpack sets it). */
  #event(text: string, verdict: Verdict | undefined, prepared?: string, packed = false): StatementEvent {
    const event: StatementEvent = { type: 'statement', at: packed ? '' : isoNow(this.#clock), seq: ++this.#seq, text, durationMs: 0, rows: [], rowCount: 0, rowsTruncated: false };
    if (prepared !== undefined) event.prepared = prepared;
    if (verdict) event.verdict = recordedVerdict(verdict);
    return event;
  }
}

/** The lineage of a result whose relations are not all known: every column may be any column. */
const unconfirmed: LineageEntry[] = [{ name: '*', star: true, sources: [anySource] }];
