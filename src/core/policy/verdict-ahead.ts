/**
 * A verdict a gatekeeper's `decideNow` found but cannot apply at once — a review at a Query,
 * which only the review workflow can decide — kept for the `decide` the relay asks next for the
 * same text, so policy is asked once per statement. Any other text finds nothing (and is asked).
 */
export class VerdictAhead<V> {
  #text: string | undefined;
  #verdict: V | undefined;

  keep(text: string, verdict: V): void {
    this.#text = text;
    this.#verdict = verdict;
  }

  /** The verdict kept for `text`, once; undefined: ask policy. */
  take(text: string): V | undefined {
    const verdict = this.#text === text ? this.#verdict : undefined;
    this.#text = undefined;
    this.#verdict = undefined;
    return verdict;
  }
}
