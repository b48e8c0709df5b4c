import type { LineageEntry } from './lineage.ts';
import { Masker, type RowMasker } from './row-masker.ts';
import type { ShapeCache } from './shape-cache.ts';
import type { MaskPlan } from './types.ts';

/**
 * One session's maskers, kept for the next result of the same statement: by plan and lineage,
 * compared by identity (both come from caches, so each execution of a prepared or repeated
 * statement hands the same objects). A profile of the gateway under pgbench charged building a
 * masker per result ~0.6 µs per transaction (docs/performance.md, masking).
 *
 * A masker is handed out again only once its counts were read (`addCountsTo`, `counts`,
 * `takeCounts`: its result is over), and then starts from zero counts; the shape of the next
 * result is set by `shape` as for a new one. One still in use gets a fresh masker beside it.
 */
export class MaskerPool {
  readonly #hashKey: Uint8Array | string;
  readonly #shapes: ShapeCache | undefined;
  readonly #maskers: (Masker | undefined)[];
  #newest = 0;

  constructor(hashKey: Uint8Array | string, shapes: ShapeCache | undefined, size = 8) {
    this.#hashKey = hashKey;
    this.#shapes = shapes;
    this.#maskers = new Array<Masker | undefined>(size).fill(undefined);
  }

  /** A masker for a result of `plan` with this lineage, with no counts and no shape yet (call `shape`). */
  get(plan: MaskPlan, lineage: readonly LineageEntry[] | undefined): RowMasker {
    const n = this.#maskers.length;
    for (let i = 0, j = this.#newest; i < n; i++, j = j === 0 ? n - 1 : j - 1) {
      const m = this.#maskers[j];
      if (m === undefined || !m.serves(plan, lineage)) continue;
      // Inactive: `forResult` gave it to no one (its rows pass as they are).
      if (m.released || !m.active) {
        m.restart();
        return m;
      }
      // Still serving a result whose counts were not read: that one keeps it.
      return (this.#maskers[j] = this.#create(plan, lineage));
    }
    this.#newest = this.#newest + 1 === n ? 0 : this.#newest + 1;
    return (this.#maskers[this.#newest] = this.#create(plan, lineage));
  }

  #create(plan: MaskPlan, lineage: readonly LineageEntry[] | undefined): Masker {
    return new Masker({ plan, hashKey: this.#hashKey, lineage, shapes: this.#shapes });
  }
}
