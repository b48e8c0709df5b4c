import { decideColumn } from './columns.ts';
import type { ColumnDecision } from './columns.ts';
import { createDetectors, createLenientDetectors } from './detectors.ts';
import type { Detector } from './detectors.ts';
import { alignLineage, alignTransformed } from './lineage.ts';
import type { LineageEntry } from './lineage.ts';
import { detectAcross, joinOrders, splitGroups } from './split-values.ts';
import { applyStrategy, fixedOutput } from './strategies.ts';
import type { ShapeCache, ShapeDecisions } from './shape-cache.ts';
import type { DetectorName, MaskCounts, MaskPlan, MaskStrategy, ResultColumn } from './types.ts';

/** Masks one result, row by row, without buffering. Text values in, text values out. */
export interface RowMasker {
  /** Column metadata, once per result, before the first row. */
  shape(columns: readonly ResultColumn[]): void;
  /** The row as the client may see it. Returns the same array when nothing can be masked. */
  row(values: readonly (string | null)[]): (string | null)[];
  /** True when some column rule or detector is in effect for this result. */
  readonly active: boolean;
  /**
   * Per shape (set by `shape`): what any row without a NULL value shows when that does not depend
   * on the values (every column hidden whole by a column rule: redact, null), one frozen array;
   * undefined otherwise. A caller may then show it for such a row without reading the values,
   * and calls `fixedRowShown` instead of `row`.
   */
  readonly fixedRow: readonly (string | null)[] | undefined;
  /** Counts one row without a NULL value shown as `fixedRow`: what `row` would have counted for it. */
  fixedRowShown(): void;
  /** What was masked so far, for the recording: counts only, never values. */
  counts(): MaskCounts;
  /** Adds what was masked so far to `into` (a statement's running totals over its results), without copying. */
  addCountsTo(into: Omit<MaskCounts, 'rows'>): void;
  /**
   * What was masked (a statement's first masked result: its totals start as these, no copy),
   * frozen at every level: the same counts from the same shape come back as the same object
   * (every execution of a prepared statement), which the recording writes as JSON once. A caller
   * that adds to them copies them first (`ownCounts`). The masker is done with its result after this.
   */
  takeCounts(): Readonly<Omit<MaskCounts, 'rows'>>;
}

/** Counts `takeCounts` handed out, as a copy the caller may add to (`addCountsTo`). */
export function ownCounts(c: Readonly<Omit<MaskCounts, 'rows'>>): Omit<MaskCounts, 'rows'> {
  const byColumn: MaskCounts['byColumn'] = {};
  for (const col in c.byColumn) byColumn[col] = { ...c.byColumn[col] };
  return { byColumn, byDetector: { ...c.byDetector } };
}

export interface RowMaskerOptions {
  plan: MaskPlan;
  /** The installation key for the `hash` strategy. */
  hashKey: Uint8Array | string;
  /** Lineage of the query's result (`lineageOf(parser, sql)[i]`), when known. */
  lineage?: readonly LineageEntry[] | undefined;
  /** Decisions of earlier results of the same session, to reuse. */
  shapes?: ShapeCache | undefined;
}

export function createRowMasker(options: RowMaskerOptions): RowMasker {
  return new Masker(options);
}

/**
 * A class rather than closures: one result gets one of these, and it is on the per-statement hot path.
 * Exported for `MaskerPool` (masker-pool.ts) only; everyone else gets a `RowMasker`.
 */
export class Masker implements RowMasker {
  readonly #plan: MaskPlan;
  readonly #hashKey: Uint8Array | string;
  readonly #lineage: readonly LineageEntry[] | undefined;
  readonly #shapes: ShapeCache | undefined;
  readonly #hasDetectors: boolean;
  /** Built on first use: most results to mask have a rule for every column and never run a detector. */
  #detectors: Detector[] | undefined;
  /**
   * Extra detectors for transformed values (detectors.ts `createLenientDetectors`), built on
   * first use: index 1 those for any type, index 2 those for a text column (see #leniency).
   */
  #lenient: [Detector[], Detector[], Detector[]] | undefined;
  #decisions: readonly (ColumnDecision | undefined)[] = [];
  /** Per column: 0 strict detectors only, 1 lenient ones too except text-only ones, 2 all lenient ones (a text column). */
  #leniency: Uint8Array | undefined;
  #joins: readonly (readonly number[])[] | undefined;
  /** The detectors for each join order of #joins, built at the first row of a result that has joins. */
  #joinDetectors: Detector[][] | undefined;
  #names: string[] = [];
  /** The columns `shape` was last given, when frozen (so they cannot have changed since). */
  #columns: readonly ResultColumn[] | undefined;
  /**
   * Column-rule hits of the current shape, by column index: a row only bumps a number, and the
   * hits become `#counts.byColumn[name][rule]` when the shape changes or the counts are read.
   * Counting straight into objects keyed by column name and rule was a keyed store per masked
   * value, megamorphic in a gateway serving many shapes (docs/performance.md, masking).
   */
  #hits: number[] = [];
  #active = false;
  #fixed: readonly (string | null)[] | undefined;
  /** The decisions `shape` set last: the same object again (a cached shape) leaves the per-shape state as it is. */
  #shape: ShapeDecisions | undefined;
  #counts: MaskCounts = { byColumn: {}, byDetector: {}, rows: 0 };
  /** Something was counted into `#counts`' objects (folded hits, detector matches) since they were made. */
  #counted = false;
  /** Its counts were read: the result it served is over, and a MaskerPool may hand it out again. */
  #released = false;
  /**
   * The counts `takeCounts` built last (frozen), with the shape and column-rule hits they were
   * folded from: when only the same hits of the same shape were counted again, they are the
   * same counts, handed out again instead of built (no objects per result, no JSON per record).
   */
  #taken: { shape: ShapeDecisions; hits: number[]; counts: Readonly<Omit<MaskCounts, 'rows'>> } | undefined;

  constructor(options: RowMaskerOptions) {
    this.#plan = options.plan;
    this.#hashKey = options.hashKey;
    this.#lineage = options.lineage;
    this.#shapes = options.shapes;
    this.#hasDetectors = options.plan.detectors.length > 0;
  }

  get active(): boolean {
    return this.#active;
  }

  get fixedRow(): readonly (string | null)[] | undefined {
    return this.#fixed;
  }

  get released(): boolean {
    return this.#released;
  }

  /** Built for this plan and lineage (the same objects: both come from caches). */
  serves(plan: MaskPlan, lineage: readonly LineageEntry[] | undefined): boolean {
    return this.#plan === plan && this.#lineage === lineage;
  }

  /** For the next result (MaskerPool): no counts, not released. The shape stays until `shape` sets the next one. */
  restart(): void {
    this.#released = false;
    // No hits to clear: a released masker's were folded into its counts (which zeroes them), and an inactive one never counted.
    const c = this.#counts;
    // New objects only when something was counted into them (a caller may keep them: `takeCounts`).
    if (this.#counted) {
      this.#counts = { byColumn: {}, byDetector: {}, rows: 0 };
      this.#counted = false;
    } else c.rows = 0;
  }

  shape(columns: readonly ResultColumn[]): void {
    this.#foldHits();
    // The very columns of the last result (relays hand out one frozen array per repeated RowDescription): nothing to look up.
    if (columns === this.#columns && this.#leniency === undefined) return;
    let shape = this.#shapes?.get(this.#plan, this.#lineage, columns);
    if (shape === undefined) {
      shape = this.#decide(columns);
      this.#shapes?.set(this.#plan, this.#lineage, columns, shape);
    }
    const transformed = this.#hasDetectors ? shape.transformed : undefined;
    // The same cached decisions (so the same column names): names, hits and join detectors still fit.
    // Not with leniency, which also depends on the columns' types.
    if (shape === this.#shape && transformed === undefined) return;
    this.#shape = shape;
    this.#decisions = shape.decisions;
    this.#fixed = shape.fixed;
    this.#joins = this.#hasDetectors ? shape.joins : undefined;
    this.#joinDetectors = undefined;
    // Per result, not cached: the same names may come with other types (the text flag is the protocol's).
    this.#leniency = transformed === undefined ? undefined : Uint8Array.from(columns, (c, i) => (transformed[i] ? (c.text === false ? 1 : 2) : 0));
    this.#columns = Object.isFrozen(columns) ? columns : undefined;
    this.#names = columns.map((c) => c.name);
    this.#hits = columns.map(() => 0);
    this.#active = this.#hasDetectors || this.#decisions.some((d) => d !== undefined);
  }

  #decide(columns: readonly ResultColumn[]): ShapeDecisions {
    const lineage = this.#lineage;
    const sources = lineage === undefined ? columns.map(() => []) : alignLineage(lineage, columns.length, columns.map((c) => c.name));
    const decisions = columns.map((c, i) => decideColumn(this.#plan, c, sources[i] ?? []));
    const fixed = fixedRowOf(decisions);
    if (lineage === undefined) return { decisions, transformed: undefined, joins: undefined, fixed };
    // Only columns the detectors look at (no column rule) and that derive from some source column.
    const open = decisions.map((d, i) => d === undefined && (sources[i]?.length ?? 0) > 0);
    const flags = alignTransformed(lineage, columns.length).map((t, i) => t && open[i]!);
    const groups = splitGroups(sources, open);
    return { decisions, transformed: flags.includes(true) ? flags : undefined, joins: groups?.flatMap(joinOrders), fixed };
  }

  row(values: readonly (string | null)[]): (string | null)[] {
    this.#counts.rows++;
    if (!this.#active) return values as (string | null)[];
    const out = new Array<string | null>(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] ?? null;
      const d = this.#decisions[i];
      if (v === null) out[i] = null;
      else if (d !== undefined) {
        out[i] = applyStrategy(d.strategy, v, this.#hashKey);
        this.#hits[i]!++;
      } else out[i] = this.#hasDetectors ? this.#detect(v, this.#leniency?.[i] ?? 0) : v;
    }
    if (this.#joins !== undefined) this.#detectSplit(values, out);
    return out;
  }

  fixedRowShown(): void {
    this.#counts.rows++;
    // Every column has a column rule, and no value is NULL: each one is a hit.
    const hits = this.#hits;
    for (let i = 0; i < hits.length; i++) hits[i]!++;
  }

  // A copy, so callers can keep it; cheaper than structuredClone on the per-result path.
  counts(): MaskCounts {
    this.#foldHits();
    this.#released = true;
    const c = this.#counts;
    const byColumn: MaskCounts['byColumn'] = {};
    for (const col in c.byColumn) byColumn[col] = { ...c.byColumn[col] };
    return { byColumn, byDetector: { ...c.byDetector }, rows: c.rows };
  }

  takeCounts(): Readonly<Omit<MaskCounts, 'rows'>> {
    this.#released = true;
    const c = this.#counts;
    // Only this shape's hits counted (no detector, no earlier shape of the result): the counts follow from them.
    const onlyHits = !this.#counted;
    const taken = this.#taken;
    if (onlyHits && taken !== undefined && taken.shape === this.#shape && sameNumbers(taken.hits, this.#hits)) {
      const hits = this.#hits;
      for (let i = 0; i < hits.length; i++) hits[i] = 0;
      return taken.counts;
    }
    const hits = onlyHits ? this.#hits.slice() : undefined;
    this.#foldHits();
    // The objects themselves, now the caller's (frozen): counting goes on (if at all) into new ones.
    this.#counts = { byColumn: {}, byDetector: {}, rows: c.rows };
    this.#counted = false;
    for (const col in c.byColumn) Object.freeze(c.byColumn[col]);
    const counts = Object.freeze({ byColumn: Object.freeze(c.byColumn), byDetector: Object.freeze(c.byDetector) });
    if (hits !== undefined && this.#shape !== undefined) this.#taken = { shape: this.#shape, hits, counts };
    return counts;
  }

  addCountsTo(into: Omit<MaskCounts, 'rows'>): void {
    this.#foldHits();
    this.#released = true;
    const c = this.#counts;
    for (const col in c.byColumn) {
      const from = c.byColumn[col]!;
      const to = (into.byColumn[col] ??= {});
      for (const rule in from) to[rule] = (to[rule] ?? 0) + from[rule]!;
    }
    for (const d in c.byDetector) {
      const name = d as keyof MaskCounts['byDetector'];
      into.byDetector[name] = (into.byDetector[name] ?? 0) + (c.byDetector[name] ?? 0);
    }
  }

  #countDetector(name: DetectorName): void {
    this.#counted = true;
    this.#counts.byDetector[name] = (this.#counts.byDetector[name] ?? 0) + 1;
  }

  #foldHits(): void {
    const hits = this.#hits;
    for (let i = 0; i < hits.length; i++) {
      const n = hits[i]!;
      if (n === 0) continue;
      hits[i] = 0;
      this.#counted = true;
      const c = (this.#counts.byColumn[this.#names[i] ?? String(i)] ??= {});
      const rule = this.#decisions[i]!.rule;
      c[rule] = (c[rule] ?? 0) + n;
    }
  }

  /**
   * Runs the detectors over one value; masked matches are replaced in place
   * (null strategy nulls the value). `leniency` (see #leniency) adds the
   * lenient detectors after the strict ones.
   */
  #detect(v: string, leniency: number): string | null {
    const out = this.#run(v, (this.#detectors ??= createDetectors(this.#plan.detectors.map((d) => d.name))));
    if (leniency === 0 || out === null) return out;
    return this.#run(out, this.#lenientDetectors(leniency));
  }

  /** The lenient detectors for a column of this leniency (1 or 2). */
  #lenientDetectors(leniency: number): Detector[] {
    if (this.#lenient === undefined) {
      const all = createLenientDetectors(this.#plan.detectors.map((d) => d.name));
      this.#lenient = [[], all.filter((d) => !d.textOnly), all];
    }
    return this.#lenient[leniency]!;
  }

  #strategyOf(d: Detector): MaskStrategy {
    return this.#plan.detectors.find((p) => p.name === d.name)!.strategy;
  }

  #run(v: string, detectors: readonly Detector[]): string | null {
    let out = v;
    for (const d of detectors) {
      if (!d.quick(out)) continue;
      const strategy = this.#strategyOf(d);
      let nulled = false;
      out = out.replace(d.pattern, (m) => {
        if (!d.valid(m)) return m;
        this.#countDetector(d.name);
        const masked = applyStrategy(strategy, m, this.#hashKey);
        if (masked === null) nulled = true;
        return masked ?? '';
      });
      if (nulled) return null;
    }
    return out;
  }

  /**
   * Values split across columns that share a source (split-values.ts): the
   * raw values of each join order are run through the detectors (the lenient
   * ones too when a part is transformed); a value found across parts hides
   * each part whole, with the detector's strategy — `partial` as `redact`,
   * since the tail of each part would show more than the tail of the value.
   */
  #detectSplit(values: readonly (string | null)[], out: (string | null)[]): void {
    const joins = this.#joins!;
    const sets = (this.#joinDetectors ??= joins.map((order) => {
      const strict = (this.#detectors ??= createDetectors(this.#plan.detectors.map((d) => d.name)));
      const leniency = this.#leniency === undefined ? 0 : Math.max(...order.map((i) => this.#leniency![i]!));
      return leniency === 0 ? strict : [...strict, ...this.#lenientDetectors(leniency)];
    }));
    // Columns already hidden here: a value found again by another join order is not counted twice.
    let hidden: Set<number> | undefined;
    for (let k = 0; k < joins.length; k++) {
      detectAcross(values, joins[k]!, sets[k]!, (d, columns) => {
        if (hidden !== undefined && columns.every((i) => hidden!.has(i))) return;
        this.#countDetector(d.name);
        const strategy = this.#strategyOf(d);
        for (const i of columns) {
          out[i] = applyStrategy(strategy === 'partial' ? 'redact' : strategy, values[i]!, this.#hashKey);
          (hidden ??= new Set()).add(i);
        }
      });
    }
  }
}

/** The row every row without a NULL shows when each column's rule hides it whole (`ShapeDecisions.fixed`); undefined otherwise. */
function fixedRowOf(decisions: readonly (ColumnDecision | undefined)[]): readonly (string | null)[] | undefined {
  if (decisions.length === 0) return undefined;
  const row: (string | null)[] = [];
  for (const d of decisions) {
    const out = d === undefined ? undefined : fixedOutput(d.strategy);
    if (out === undefined) return undefined;
    row.push(out);
  }
  return Object.freeze(row);
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
