import type { ColumnDecision } from './columns.ts';
import type { LineageEntry } from './lineage.ts';
import type { MaskPlan, ResultColumn } from './types.ts';

/** What the masker does per column of a result, decided once per shape. */
export interface ShapeDecisions {
  /** The column rule of each column; undefined: the detectors look at it. */
  readonly decisions: readonly (ColumnDecision | undefined)[];
  /**
   * Per column, whether the lenient detectors run too (a transformed column
   * with no column rule, by lineage); undefined when no column is.
   */
  readonly transformed: readonly boolean[] | undefined;
  /** Columns with no column rule that share a source column (split-values.ts), as join orders; undefined: none. */
  readonly joins: readonly (readonly number[])[] | undefined;
  /**
   * What every row without a NULL shows, when that does not depend on the values: every column
   * has a column rule that hides it whole (redact, null; so no detector looks at any). Frozen,
   * shared by the rows of the shape; undefined otherwise.
   */
  readonly fixed: readonly (string | null)[] | undefined;
}

/**
 * Column decisions already made, by plan and lineage (compared by identity:
 * both come from caches, so a repeated statement hands the same objects) and
 * column names. One per session; saves deciding every column of every result again.
 */
export class ShapeCache {
  readonly #byPlan = new WeakMap<MaskPlan, WeakMap<object, Map<string, ShapeDecisions>>>();
  static readonly #noLineage = {};

  /** The decisions made before for this shape; undefined: decide, then `set`. */
  get(plan: MaskPlan, lineage: readonly LineageEntry[] | undefined, columns: readonly ResultColumn[]): ShapeDecisions | undefined {
    return this.#byPlan.get(plan)?.get(lineage ?? ShapeCache.#noLineage)?.get(ShapeCache.#key(columns));
  }

  set(plan: MaskPlan, lineage: readonly LineageEntry[] | undefined, columns: readonly ResultColumn[], decisions: ShapeDecisions): void {
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
