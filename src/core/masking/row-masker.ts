import { decideColumn } from './columns.ts';
import type { ColumnDecision } from './columns.ts';
import { createDetectors } from './detectors.ts';
import type { Detector } from './detectors.ts';
import { alignLineage } from './lineage.ts';
import type { LineageEntry } from './lineage.ts';
import { applyStrategy } from './strategies.ts';
import type { MaskCounts, MaskPlan, MaskStrategy, ResultColumn } from './types.ts';

/** Masks one result, row by row, without buffering. Text values in, text values out. */
export interface RowMasker {
  /** Column metadata, once per result, before the first row. */
  shape(columns: readonly ResultColumn[]): void;
  /** The row as the client may see it. Returns the same array when nothing can be masked. */
  row(values: readonly (string | null)[]): (string | null)[];
  /** True when some column rule or detector is in effect for this result. */
  readonly active: boolean;
  /** What was masked so far, for the recording: counts only, never values. */
  counts(): MaskCounts;
  /** Adds what was masked so far to `into` (a statement's running totals over its results), without copying. */
  addCountsTo(into: Omit<MaskCounts, 'rows'>): void;
}

/**
 * Column decisions already made, by plan and lineage (compared by identity:
 * both come from caches, so a repeated statement hands the same objects) and
 * column names. One per session; saves deciding every column of every result again.
 */
export class ShapeCache {
  readonly #byPlan = new WeakMap<MaskPlan, WeakMap<object, Map<string, (ColumnDecision | undefined)[]>>>();
  static readonly #noLineage = {};

  /** The decisions made before for this shape; undefined: decide, then `set`. */
  get(plan: MaskPlan, lineage: readonly LineageEntry[] | undefined, columns: readonly ResultColumn[]): (ColumnDecision | undefined)[] | undefined {
    return this.#byPlan.get(plan)?.get(lineage ?? ShapeCache.#noLineage)?.get(ShapeCache.#key(columns));
  }

  set(plan: MaskPlan, lineage: readonly LineageEntry[] | undefined, columns: readonly ResultColumn[], decisions: (ColumnDecision | undefined)[]): void {
    // Protocol metadata beyond the name (source table/column) is part of the decision: never cached.
    for (const c of columns) if (c.table !== undefined || c.column !== undefined) return;
    let byLineage = this.#byPlan.get(plan);
    if (byLineage === undefined) this.#byPlan.set(plan, (byLineage = new WeakMap()));
    const l = lineage ?? ShapeCache.#noLineage;
    let byNames = byLineage.get(l);
    if (byNames === undefined) byLineage.set(l, (byNames = new Map()));
    if (byNames.size < 64) byNames.set(ShapeCache.#key(columns), decisions);
  }

  static #key(columns: readonly ResultColumn[]): string {
    return columns.length === 1 ? columns[0]!.name : columns.map((c) => c.name).join('\u0000');
  }
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

/** A class rather than closures: one result gets one of these, and it is on the per-statement hot path. */
class Masker implements RowMasker {
  readonly #plan: MaskPlan;
  readonly #hashKey: Uint8Array | string;
  readonly #lineage: readonly LineageEntry[] | undefined;
  readonly #shapes: ShapeCache | undefined;
  readonly #hasDetectors: boolean;
  /** Built on first use: most results to mask have a rule for every column and never run a detector. */
  #detectors: Detector[] | undefined;
  #decisions: readonly (ColumnDecision | undefined)[] = [];
  #names: string[] = [];
  #active = false;
  readonly #counts: MaskCounts = { byColumn: {}, byDetector: {}, rows: 0 };

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

  shape(columns: readonly ResultColumn[]): void {
    let decisions = this.#shapes?.get(this.#plan, this.#lineage, columns);
    if (decisions === undefined) {
      const sources = this.#lineage === undefined ? columns.map(() => []) : alignLineage(this.#lineage, columns.length, columns.map((c) => c.name));
      decisions = columns.map((c, i) => decideColumn(this.#plan, c, sources[i] ?? []));
      this.#shapes?.set(this.#plan, this.#lineage, columns, decisions);
    }
    this.#decisions = decisions;
    this.#names = columns.map((c) => c.name);
    this.#active = this.#hasDetectors || this.#decisions.some((d) => d !== undefined);
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
        this.#countColumn(this.#names[i] ?? String(i), d.rule);
      } else out[i] = this.#hasDetectors ? this.#detect(v) : v;
    }
    return out;
  }

  // A copy, so callers can keep it; cheaper than structuredClone on the per-result path.
  counts(): MaskCounts {
    const c = this.#counts;
    const byColumn: MaskCounts['byColumn'] = {};
    for (const col in c.byColumn) byColumn[col] = { ...c.byColumn[col] };
    return { byColumn, byDetector: { ...c.byDetector }, rows: c.rows };
  }

  addCountsTo(into: Omit<MaskCounts, 'rows'>): void {
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

  #countColumn(col: string, rule: string): void {
    const c = (this.#counts.byColumn[col] ??= {});
    c[rule] = (c[rule] ?? 0) + 1;
  }

  /** Runs the detectors over one value; masked matches are replaced in place (null strategy nulls the value). */
  #detect(v: string): string | null {
    const detectors = (this.#detectors ??= createDetectors(this.#plan.detectors.map((d) => d.name)));
    let out = v;
    for (const d of detectors) {
      if (!d.quick(out)) continue;
      const strategy = this.#plan.detectors.find((p) => p.name === d.name)!.strategy as MaskStrategy;
      let nulled = false;
      out = out.replace(d.pattern, (m) => {
        if (!d.valid(m)) return m;
        this.#counts.byDetector[d.name] = (this.#counts.byDetector[d.name] ?? 0) + 1;
        const masked = applyStrategy(strategy, m, this.#hashKey);
        if (masked === null) nulled = true;
        return masked ?? '';
      });
      if (nulled) return null;
    }
    return out;
  }
}
