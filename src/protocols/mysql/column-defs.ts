import { parseColumnDef, type ColumnDef } from './codec/results.ts';

/** Positions remembered; wider results are parsed in full every time. */
const maxRemembered = 64;

/**
 * The column definitions of one session's result sets, collected packet by
 * packet. A definition whose bytes equal those at the same position of an
 * earlier result (the same statement run again, a prepared statement
 * executed again) is not parsed again: its earlier ColumnDef is reused,
 * and when every definition of the result matches the previous result's,
 * the previous array itself is returned, so the tracker can reuse what it
 * derived from it (names, types). Reuse is decided on equal bytes only, so
 * it yields exactly what parsing would.
 */
export class ColumnDefs {
  /** Bytes and parsed form of the definitions seen at each position (copies: a chunk is not kept alive). */
  readonly #raw: Buffer[] = [];
  readonly #parsed: ColumnDef[] = [];
  /** The result's definitions so far (one array, reused: a copy is made only for a new shape). */
  readonly #collected: ColumnDef[] = [];
  #collecting = false;
  #allSame = true;
  #last: readonly ColumnDef[] | undefined;

  /** A result set starts (its column count was read). */
  start(): void {
    // An abandoned collection may have replaced remembered definitions that the last array holds.
    if (this.#collecting) this.#last = undefined;
    this.#collecting = true;
    this.#collected.length = 0;
    this.#allSame = true;
  }

  /** Whether definitions are being collected (between the column count and the EOF after them). */
  get collecting(): boolean {
    return this.#collecting;
  }

  add(payload: Buffer): void {
    if (!this.#collecting) return;
    const into = this.#collected;
    const i = into.length;
    const raw = this.#raw[i];
    if (raw !== undefined && raw.equals(payload)) {
      into.push(this.#parsed[i]!);
      return;
    }
    this.#allSame = false;
    const def = Object.freeze(parseColumnDef(payload));
    if (i < maxRemembered) {
      this.#raw[i] = Buffer.from(payload);
      this.#parsed[i] = def;
    }
    into.push(def);
  }

  /** The definitions of the result set whose columns just ended (frozen; shared with later identical results). */
  finish(): readonly ColumnDef[] {
    const defs = this.#collected;
    const same = this.#collecting && this.#allSame && this.#last !== undefined && this.#last.length === defs.length;
    this.#collecting = false;
    if (!same) this.#last = Object.freeze(defs.slice());
    defs.length = 0;
    return this.#last!;
  }
}
