import { sameBytes } from '../../transport/same-bytes.ts';
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
  /** The result's definitions so far: the first `#count` of one array, reused (a copy is made only for a new shape). */
  readonly #collected: ColumnDef[] = [];
  #count = 0;
  #collecting = false;
  #allSame = true;
  #last: readonly ColumnDef[] | undefined;

  /** A result set starts (its column count was read). */
  start(): void {
    // An abandoned collection may have replaced remembered definitions that the last array holds.
    if (this.#collecting) this.#last = undefined;
    this.#collecting = true;
    this.#count = 0;
    this.#allSame = true;
  }

  /** Whether definitions are being collected (between the column count and the EOF after them). */
  get collecting(): boolean {
    return this.#collecting;
  }

  /**
   * The definition whose payload is `buf[start, end)`. Compared where it lies: a view of it is
   * made only to parse a new one (in Node 20 each Buffer view reads `.buffer`, a call into C++).
   */
  add(buf: Buffer, start: number, end: number): void {
    if (!this.#collecting) return;
    const i = this.#count++;
    const raw = this.#raw[i];
    if (raw !== undefined && raw.length === end - start && sameBytes(buf, start, raw)) {
      this.#collected[i] = this.#parsed[i]!;
      return;
    }
    this.#allSame = false;
    const payload = buf.subarray(start, end);
    const def = Object.freeze(parseColumnDef(payload));
    if (i < maxRemembered) {
      this.#raw[i] = Buffer.from(payload);
      this.#parsed[i] = def;
    }
    this.#collected[i] = def;
  }

  /** The definitions of the result set whose columns just ended (frozen; shared with later identical results). */
  finish(): readonly ColumnDef[] {
    const n = this.#collecting ? this.#count : 0;
    const same = this.#collecting && this.#allSame && this.#last !== undefined && this.#last.length === n;
    this.#collecting = false;
    this.#count = 0;
    if (!same) {
      this.#last = Object.freeze(this.#collected.slice(0, n));
      // Entries past the widest result stay referenced until overwritten; wide ones are dropped.
      if (this.#collected.length > maxRemembered) this.#collected.length = 0;
    }
    return this.#last!;
  }
}
