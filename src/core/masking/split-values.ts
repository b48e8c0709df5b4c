import type { Detector } from './detectors.ts';
import type { SourceColumn } from './types.ts';

/**
 * Values split across columns: `substr(ssn, 1, 6) as a, substr(ssn, 7) as b`
 * shows `536-22` and `-8419`, nothing a detector takes one at a time. Lineage
 * says both come from `ssn`, so the row masker joins such columns' values and
 * runs the detectors over the join; a value found there that crosses from one
 * part into another hides every part it touches. Only columns sharing a source
 * are joined: two unrelated columns whose join happens to look like a card
 * stay as they are.
 */

/** At most this many columns in a group are joined pairwise in both orders; a wider group only in output order. */
const pairwiseUpTo = 4;

/**
 * Groups of two or more output columns (indexes in output order) that share a
 * source column, among `candidates` (the columns the detectors look at);
 * undefined when there are none, so a statement without them pays nothing per row.
 */
export function splitGroups(sources: readonly (readonly SourceColumn[])[], candidates: readonly boolean[]): number[][] | undefined {
  // Union-find over columns, joined through each source column they read.
  const parent = sources.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const firstBySource = new Map<string, number>();
  for (let i = 0; i < sources.length; i++) {
    if (!candidates[i]) continue;
    for (const s of sources[i]!) {
      const key = `${s.schema ?? ''}\u0000${s.table}\u0000${s.column}`;
      const first = firstBySource.get(key);
      if (first === undefined) firstBySource.set(key, i);
      else parent[root(i)] = root(first);
    }
  }
  const byRoot = new Map<number, number[]>();
  for (let i = 0; i < sources.length; i++) {
    if (!candidates[i] || sources[i]!.length === 0) continue;
    const r = root(i);
    const g = byRoot.get(r);
    if (g === undefined) byRoot.set(r, [i]);
    else g.push(i);
  }
  const groups = [...byRoot.values()].filter((g) => g.length > 1);
  return groups.length > 0 ? groups : undefined;
}

/**
 * The orders in which a group's columns are joined: every ordered pair (so a
 * swapped `b, a` is read as `ab` too) for small groups, adjacent pairs both
 * ways for wider ones, and the whole group in output order when it has more than two.
 */
export function joinOrders(group: readonly number[]): number[][] {
  const orders: number[][] = [];
  if (group.length <= pairwiseUpTo) {
    for (const a of group) for (const b of group) if (a !== b) orders.push([a, b]);
  } else {
    for (let k = 0; k + 1 < group.length; k++) orders.push([group[k]!, group[k + 1]!], [group[k + 1]!, group[k]!]);
  }
  if (group.length > 2) orders.push([...group]);
  return orders;
}

/**
 * Runs `detectors` over the values of `order` joined; calls `hit` with the
 * detector and the columns a valid match spans when it crosses a boundary
 * between two parts (a match inside one part is that column's own detectors'
 * business). A null value breaks the join: nothing is tried across it.
 */
export function detectAcross(
  values: readonly (string | null)[],
  order: readonly number[],
  detectors: readonly Detector[],
  hit: (d: Detector, columns: readonly number[]) => void,
): void {
  let joined = '';
  const ends: number[] = [];
  for (const i of order) {
    const v = values[i];
    if (v === null || v === undefined) return;
    joined += v;
    ends.push(joined.length);
  }
  for (const d of detectors) {
    if (!d.quick(joined)) continue;
    d.pattern.lastIndex = 0;
    for (let m = d.pattern.exec(joined); m !== null; m = d.pattern.exec(joined)) {
      const start = m.index;
      const end = start + m[0].length;
      if (end === start) d.pattern.lastIndex++;
      // Parts [first, last] overlap the match; one part alone is not a split value.
      const first = ends.findIndex((e) => e > start);
      const last = ends.findIndex((e) => e >= end);
      if (first === last || !d.valid(m[0])) continue;
      hit(d, order.slice(first, last + 1));
    }
    d.pattern.lastIndex = 0;
  }
}
