/**
 * The last few statement texts and a value computed from each, found by
 * comparing texts newest first. For a handful of entries this is cheaper than
 * a Map: the text asked about is usually the very string object stored a
 * moment ago (one pointer compare), and a miss hashes nothing and allocates
 * nothing. Texts longer than `maxLength` are not kept (memory stays bounded).
 */
export class RecentTexts<V> {
  readonly #texts: string[];
  readonly #values: (V | undefined)[];
  readonly #maxLength: number;
  #newest = 0;

  constructor(size: number, maxLength = 16_384) {
    this.#texts = new Array<string>(size).fill('');
    this.#values = new Array<V | undefined>(size).fill(undefined);
    this.#maxLength = maxLength;
  }

  /** The value kept for `text`; undefined when it is not among the last texts. */
  get(text: string): V | undefined {
    const n = this.#texts.length;
    for (let i = 0, j = this.#newest; i < n; i++, j = j === 0 ? n - 1 : j - 1) {
      if (this.#texts[j] === text) return this.#values[j];
    }
    return undefined;
  }

  /** Keeps `value` for `text` in place of the oldest entry. */
  set(text: string, value: V): void {
    if (text.length > this.#maxLength) return;
    this.#newest = this.#newest + 1 === this.#texts.length ? 0 : this.#newest + 1;
    this.#texts[this.#newest] = text;
    this.#values[this.#newest] = value;
  }
}
