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
}

export interface RowMaskerOptions {
  plan: MaskPlan;
  /** The installation key for the `hash` strategy. */
  hashKey: Uint8Array | string;
  /** Lineage of the query's result (`lineageOf(parser, sql)[i]`), when known. */
  lineage?: readonly LineageEntry[] | undefined;
}

export function createRowMasker(options: RowMaskerOptions): RowMasker {
  const { plan, hashKey } = options;
  const detectors: Detector[] = createDetectors(plan.detectors.map((d) => d.name));
  const detectorStrategy = new Map(plan.detectors.map((d) => [d.name, d.strategy]));
  let decisions: (ColumnDecision | undefined)[] = [];
  let names: string[] = [];
  let active = false;
  const counts: MaskCounts = { byColumn: {}, byDetector: {}, rows: 0 };

  const countColumn = (col: string, rule: string) => {
    const c = (counts.byColumn[col] ??= {});
    c[rule] = (c[rule] ?? 0) + 1;
  };

  /** Runs the detectors over one value; masked matches are replaced in place (null strategy nulls the value). */
  const detect = (v: string): string | null => {
    let out = v;
    for (const d of detectors) {
      if (!d.quick(out)) continue;
      const strategy = detectorStrategy.get(d.name) as MaskStrategy;
      let nulled = false;
      out = out.replace(d.pattern, (m) => {
        if (!d.valid(m)) return m;
        counts.byDetector[d.name] = (counts.byDetector[d.name] ?? 0) + 1;
        const masked = applyStrategy(strategy, m, hashKey);
        if (masked === null) nulled = true;
        return masked ?? '';
      });
      if (nulled) return null;
    }
    return out;
  };

  return {
    shape(columns) {
      const sources = options.lineage === undefined ? columns.map(() => []) : alignLineage(options.lineage, columns.length, columns.map((c) => c.name));
      decisions = columns.map((c, i) => decideColumn(plan, c, sources[i] ?? []));
      names = columns.map((c) => c.name);
      active = detectors.length > 0 || decisions.some((d) => d !== undefined);
    },
    row(values) {
      counts.rows++;
      if (!active) return values as (string | null)[];
      const out = new Array<string | null>(values.length);
      for (let i = 0; i < values.length; i++) {
        const v = values[i] ?? null;
        const d = decisions[i];
        if (v === null) out[i] = null;
        else if (d !== undefined) {
          out[i] = applyStrategy(d.strategy, v, hashKey);
          countColumn(names[i] ?? String(i), d.rule);
        } else out[i] = detectors.length > 0 ? detect(v) : v;
      }
      return out;
    },
    get active() {
      return active;
    },
    // A copy, so callers can keep it; cheaper than structuredClone on the per-result path.
    counts: () => ({
      byColumn: Object.fromEntries(Object.entries(counts.byColumn).map(([c, r]) => [c, { ...r }])),
      byDetector: { ...counts.byDetector },
      rows: counts.rows,
    }),
  };
}
