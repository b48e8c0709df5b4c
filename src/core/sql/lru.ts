/**
 * A bounded map that forgets the least recently used entry first. Not thread-shared: one per owner.
 *
 * Recency is tracked in insertion steps, not per read: a hit re-inserts its
 * entry (moves it to the young end) only when at least half the capacity was
 * inserted since it was last placed, so the hot path — the same few entries
 * hit over and over — costs one Map lookup. An entry read within the last
 * `max / 2` insertions is therefore never the next one evicted.
 */
export class Lru<K, V> {
  readonly #max: number;
  readonly #stale: number;
  readonly #map = new Map<K, { value: V; placed: number }>();
  /** Insertions so far. */
  #tick = 0;

  constructor(max: number) {
    this.#max = Math.max(1, max);
    this.#stale = Math.max(1, this.#max >> 1);
  }

  get(key: K): V | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    if (this.#tick - e.placed >= this.#stale) {
      // Map keeps insertion order: re-inserting makes this entry the most recent.
      this.#map.delete(key);
      this.#map.set(key, e);
      e.placed = this.#tick;
    }
    return e.value;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, { value, placed: ++this.#tick });
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#map.size;
  }
}
