import { Lru } from './lru.ts';
import type { StatementInfo } from './types.ts';

/**
 * The bounded cache both SQL classifiers share: classifications keyed by a
 * text the dialect chooses (PostgreSQL: literals normalised; MySQL: exact),
 * frozen because cached entries are handed to every caller.
 */
export interface ClassificationCache {
  /** The cached classification for `key`, or `compute()`'s, cached when the key is not too long. */
  get(key: string, compute: () => StatementInfo[]): readonly StatementInfo[];
  readonly stats: { hits: number; misses: number; size: number };
}

export function createClassificationCache(options: { cacheSize?: number; maxKeyLength?: number } = {}): ClassificationCache {
  const cache = new Lru<string, readonly StatementInfo[]>(options.cacheSize ?? 10_000);
  const maxKey = options.maxKeyLength ?? 16_384;
  const stats = { hits: 0, misses: 0, size: 0 };
  return {
    stats,
    get(key, compute) {
      const hit = cache.get(key);
      if (hit !== undefined) {
        stats.hits++;
        return hit;
      }
      stats.misses++;
      const infos = deepFreeze(compute());
      if (key.length <= maxKey) cache.set(key, infos);
      stats.size = cache.size;
      return infos;
    },
  };
}

/** Freezes the entries and their lists (the leaves are strings or frozen table refs). */
function deepFreeze(infos: StatementInfo[]): readonly StatementInfo[] {
  for (const i of infos) {
    for (const t of i.tables) Object.freeze(t);
    for (const list of [i.kinds, i.tables, i.functions, i.dangerous, i.reasons]) Object.freeze(list);
    Object.freeze(i);
  }
  return Object.freeze(infos);
}
