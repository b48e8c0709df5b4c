import type { RecordingEvent, StatementEvent } from './types.ts';

/**
 * One recorded event as its JSON line (without the newline). Statement events
 * — one per statement the gateways relay — are put together field by field:
 * `JSON.stringify` walked each event generically (the keys of every object,
 * a `toJSON` lookup on every object and array), about half the cost of
 * recording a statement. Other events are rare and go through `JSON.stringify`.
 *
 * Contract: the line parses to what `JSON.parse(JSON.stringify(event))` gives
 * (strings escaped as `JSON.stringify` escapes them, lone surrogates included;
 * keys whose value is undefined left out; non-finite numbers as null). Keys
 * come in a fixed order, not the event's. A value of an unexpected type is
 * handed to `JSON.stringify`, so it is recorded as before (but a function or
 * symbol where the type says data is written as null, where JSON.stringify
 * left the key out); the arrays and the error of a statement event are read as
 * plain data (no `toJSON`). Throws what
 * `JSON.stringify` throws (a BigInt, a cycle).
 */
export class EventLines {
  /**
   * Parts of the line written from the last value seen, key names and neighbouring constants
   * included: the timestamp (with the line's start) is shared by every statement stamped in the
   * same millisecond, a prepared statement's text and name by each of its executions, a command
   * tag by the statements that end alike. One per recording storage, shared by its writers (a
   * memo: output never depends on it). A line is one concatenation flattened by its write into
   * the pending buffer, so fewer and flat pieces are cheaper to write than the same text in many:
   * a sysbench point select's line and its write took ~300 ns instead of ~470 (prepared), ~355
   * instead of ~485 (text).
   */
  readonly #head = new LastString('{"type":"statement","at":', ',"seq":');
  readonly #text = new LastString(',"text":');
  readonly #prepared = new LastString(',"prepared":', ',"durationMs":');
  readonly #commandTag = new LastString(',"commandTag":');
  /**
   * Recorded verdicts are shared by every statement under the same policy verdict and frozen
   * (verdict.ts), so each one's JSON is made once. One that is not frozen could change: it is
   * written anew every time.
   */
  readonly #verdicts = new FrozenJson<NonNullable<StatementEvent['verdict']>>(',"verdict":', any);
  /** Mask counts handed out frozen at every level (row-masker.ts) are shared by the statements that masked alike: JSON made once, as for verdicts. */
  readonly #maskCounts = new FrozenJson<NonNullable<StatementEvent['masked']>>(',"masked":', masked);
  /**
   * Column names handed out frozen (the MySQL and PostgreSQL trackers freeze the names of a result
   * shape once and share them with every result of that shape): JSON made once. Only arrays of
   * strings and nulls are remembered: anything else inside could change under a frozen array.
   */
  readonly #columns = new FrozenJson<readonly (string | null)[]>(',"columns":', cells, (cs) => Array.isArray(cs) && cs.every((c) => typeof c === 'string' || c === null));

  line(event: RecordingEvent): string {
    return event.type === 'statement' ? this.#statementLine(event) : JSON.stringify(event);
  }

  #statementLine(e: StatementEvent): string {
    // Concatenation makes a rope; the one write into the pending buffer flattens and encodes it at once.
    let o = this.#head.json(e.at) + value(e.seq) + this.#text.json(e.text);
    if (e.params !== undefined) o += ',"params":' + cells(e.params);
    o += (e.prepared === undefined ? ',"durationMs":' : this.#prepared.json(e.prepared)) + value(e.durationMs);
    if (e.commandTag !== undefined) o += this.#commandTag.json(e.commandTag);
    if (e.rowsAffected !== undefined) o += ',"rowsAffected":' + value(e.rowsAffected);
    if (e.columns !== undefined) o += this.#columns.json(e.columns);
    if (e.rows !== undefined) o += ',"rows":' + rows(e.rows);
    o += counts(e.rowCount, e.rowsTruncated);
    if (e.error !== undefined) o += ',"error":' + error(e.error);
    if (e.verdict !== undefined) o += this.#verdicts.json(e.verdict);
    if (e.masked !== undefined) o += this.#maskCounts.json(e.masked);
    if (e.uncertain !== undefined) o += ',"uncertain":' + value(e.uncertain);
    return o + '}';
  }
}

/**
 * Every key of StatementEvent, in the order they are written: a key added to
 * the type and not written below fails to compile here (`Unwritten`).
 */
export const statementKeys = ['type', 'at', 'seq', 'text', 'params', 'prepared', 'durationMs', 'commandTag', 'rowsAffected', 'columns', 'rows', 'rowCount', 'rowsTruncated', 'error', 'verdict', 'masked', 'uncertain'] as const;
type Unwritten = Exclude<keyof StatementEvent, (typeof statementKeys)[number]>;
const everyKeyWritten: Unwritten extends never ? true : Unwritten = true;
void everyKeyWritten;

/** `before` + the last string written as JSON + `after`, given again while the same string comes back. */
class LastString {
  readonly #before: string;
  readonly #after: string;
  #raw = '';
  #json: string;
  /** Whether `#json` was flattened: only once it comes back (a text seen once, as most texts without parameters are, never is). */
  #flat = false;

  constructor(before: string, after = '') {
    this.#before = before;
    this.#after = after;
    this.#json = before + '""' + after;
  }

  json(s: string): string {
    if (s === this.#raw) {
      if (!this.#flat) this.#flat = flat(this.#json);
      return this.#json;
    }
    const json = this.#before + value(s) + this.#after;
    if (typeof s === 'string') {
      this.#raw = s;
      this.#json = json;
      this.#flat = false;
    }
    return json;
  }
}

/**
 * The JSON of objects that cannot change (frozen, and `fixed` says nothing inside can change),
 * made once per object. Looked up before asking `Object.isFrozen`, a runtime call that cost more
 * than the lookup: only an object seen for the first time (or never frozen) is asked.
 */
class FrozenJson<T> {
  readonly #known = new WeakMap<object, string>();
  readonly #before: string;
  readonly #write: (v: T) => string;
  readonly #fixed: (v: T) => boolean;

  /** `before`: what precedes the JSON (its key), kept in the one remembered string. */
  constructor(before: string, write: (v: T) => string, fixed: (v: T) => boolean = () => true) {
    this.#before = before;
    this.#write = write;
    this.#fixed = fixed;
  }

  json(v: T): string {
    if (v === null || typeof v !== 'object') return this.#before + this.#write(v);
    let json = this.#known.get(v);
    if (json !== undefined) return json;
    json = this.#before + this.#write(v);
    // Frozen after writing is as good as before: nothing could change it in between.
    if (Object.isFrozen(v) && this.#fixed(v) && flat(json)) this.#known.set(v, json);
    return json;
  }
}

/**
 * Puts `s`'s characters in one piece (V8 flattens a concatenation in place when it is read as a
 * number): a remembered part is then copied at each write, not walked piece by piece again.
 * True for every part it is given (JSON starting with `{` or `,` reads as NaN); returned so that
 * the conversion is used, which keeps an optimizing compiler from dropping it.
 */
function flat(s: string): boolean {
  return Number(s) !== 0;
}

/** What JSON.stringify makes of a value as an array element (undefined, functions, symbols: null). */
function any(v: unknown): string {
  return JSON.stringify(v) ?? 'null';
}

/**
 * Strings without a character JSON.stringify escapes (`"`, `\`, control characters, surrogates:
 * escaped when lone). Anchored and negated: V8 runs the class over the string in one loop,
 * where an unanchored search for an escaped character starts a match at every position (~40 %
 * slower on a 120-character value).
 */
const plain = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** A string, number or boolean as JSON (anything else as JSON.stringify writes it). */
function value(v: unknown): string {
  if (typeof v === 'string') return plain.test(v) ? '"' + v + '"' : JSON.stringify(v);
  if (typeof v === 'number') return number(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return any(v);
}

/**
 * Fraction digits of thousandths as `String(n)` writes them (".5", ".05", ".005"; none for 0).
 * Durations are recorded in whole microseconds (`Math.round(ms * 1000) / 1000`): turning such a
 * double into text cost V8 60–100 ns a statement (its shortest-digits search; its number-string
 * cache rarely holds the value); k's integer part and this table give the same digits in ~30 ns.
 */
const thousandths = Array.from({ length: 1000 }, (_, f) => (f === 0 ? '' : ('.' + String(f).padStart(3, '0')).replace(/0+$/, '')));

/**
 * A number as JSON: what `String(n)` gives for finite numbers (-0 included: "0"), null for NaN and
 * the infinities (JSON has neither). A non-negative number that is exactly some k/1000 (k up to
 * 2^30) has no shorter decimal form than k's digits with the point put back (distinct thousandths
 * that small are distinct doubles), so those are written from k; any other goes to V8.
 */
function number(n: number): string {
  const k = Math.round(n * 1000);
  if (k >= 0 && k <= 0x3fffffff && k / 1000 === n) {
    const f = k % 1000;
    return '' + (k - f) / 1000 + thousandths[f]!;
  }
  return Number.isFinite(n) ? '' + n : 'null';
}

/** `rowCount` and `rowsTruncated` of a result the cap did not cut, up to this many rows, written from a table. */
const untruncated = Array.from({ length: 64 }, (_, n) => `,"rowCount":${n},"rowsTruncated":false`);

function counts(rowCount: number, rowsTruncated: boolean): string {
  if (rowsTruncated === false && Number.isInteger(rowCount) && rowCount >= 0 && rowCount < untruncated.length) return untruncated[rowCount]!;
  return ',"rowCount":' + value(rowCount) + ',"rowsTruncated":' + value(rowsTruncated);
}

/** An array of strings and nulls (parameters, column names, a row's cells). */
function cells(cs: readonly (string | null)[]): string {
  if (!Array.isArray(cs)) return any(cs);
  let o = '[';
  for (let i = 0; i < cs.length; i++) {
    const c: unknown = cs[i];
    if (i > 0) o += ',';
    o += typeof c === 'string' ? value(c) : c === null || c === undefined ? 'null' : any(c);
  }
  return o + ']';
}

/** `rows`: an array of rows, each an array of cells. */
function rows(rs: (string | null)[][]): string {
  if (!Array.isArray(rs)) return any(rs);
  let o = '[';
  for (let i = 0; i < rs.length; i++) {
    const r: unknown = rs[i];
    if (i > 0) o += ',';
    o += Array.isArray(r) ? cells(r as (string | null)[]) : any(r);
  }
  return o + ']';
}

function error(err: NonNullable<StatementEvent['error']>): string {
  if (err === null || typeof err !== 'object' || typeof err.code !== 'string' || typeof err.message !== 'string' || Object.keys(err).length !== 2) return any(err);
  return '{"code":' + value(err.code) + ',"message":' + value(err.message) + '}';
}

/** A statement's mask counts (`{ byColumn: { column: { rule: n } }, byDetector: { detector: n } }`), anything else as JSON.stringify writes it. */
function masked(m: NonNullable<StatementEvent['masked']>): string {
  if (!isPlain(m)) return any(m);
  const keys = Object.keys(m);
  if (keys.length !== 2 || keys[0] !== 'byColumn' || keys[1] !== 'byDetector' || !isPlain(m.byColumn)) return any(m);
  let o = '{"byColumn":{';
  let first = true;
  for (const column of Object.keys(m.byColumn)) {
    const rules = m.byColumn[column];
    if (rules === undefined) continue;
    o += (first ? '' : ',') + value(column) + ':' + numbers(rules);
    first = false;
  }
  return o + '},"byDetector":' + numbers(m.byDetector) + '}';
}

/** An object of counts by name. */
function numbers(counts: object): string {
  if (!isPlain(counts)) return any(counts);
  let o = '{';
  let first = true;
  for (const [name, n] of Object.entries(counts)) {
    if (n === undefined) continue;
    if (typeof n !== 'number') return any(counts);
    o += (first ? '' : ',') + value(name) + ':' + value(n);
    first = false;
  }
  return o + '}';
}

/** A plain data object: no array, no `toJSON` for JSON.stringify to call. */
function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
}
