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
  /** Each kept text's last two characters (`tailOf`), compared before the text itself. */
  readonly #tails: number[];
  readonly #maxLength: number;
  #newest = 0;

  constructor(size: number, maxLength = 16_384) {
    this.#texts = new Array<string>(size).fill('');
    this.#values = new Array<V | undefined>(size).fill(undefined);
    this.#tails = new Array<number>(size).fill(tailOf(''));
    this.#maxLength = maxLength;
  }

  /** The value kept for `text`; undefined when it is not among the last texts. */
  get(text: string): V | undefined {
    const n = this.#texts.length;
    const tail = tailOf(text);
    for (let i = 0, j = this.#newest; i < n; i++, j = j === 0 ? n - 1 : j - 1) {
      if (this.#tails[j] === tail && this.#texts[j] === text) return this.#values[j];
    }
    return undefined;
  }

  /** Keeps `value` for `text` in place of the oldest entry. */
  set(text: string, value: V): void {
    if (text.length > this.#maxLength) return;
    this.#newest = this.#newest + 1 === this.#texts.length ? 0 : this.#newest + 1;
    this.#texts[this.#newest] = text;
    this.#tails[this.#newest] = tailOf(text);
    this.#values[this.#newest] = value;
  }
}

/**
 * A text's last two characters as one number. The usual miss is a text that differs from a kept
 * one only in a literal (a new id each time): same length, same start, other last digits. `===`
 * compares such strings from their first character; comparing this first rejects most of them
 * with two character reads (a pgbench text against 8 kept ones: 8 scans of ~50 characters).
 */
function tailOf(s: string): number {
  const n = s.length;
  return n === 0 ? -1 : n === 1 ? s.charCodeAt(0) : s.charCodeAt(n - 1) * 65_536 + s.charCodeAt(n - 2);
}
