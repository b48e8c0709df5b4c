import { any, LineBytes } from './line-bytes.ts';
import type { StatementEvent } from './types.ts';

/**
 * A statement event's JSON line written straight into a pending buffer as UTF-8 (json-line.ts's
 * contract, in `statementKeys`' order), without building it as a string. Parts that repeat (the
 * timestamp, a prepared statement's text and name, a command tag, frozen verdicts, column names
 * and mask counts) are kept as bytes and copied. One per recording storage, shared by its writers (a memo: output never depends on it).
 *
 * Against the line made as a string and then written (bench/recording-cpu.ts, medians of 11
 * interleaved rounds): a pgbench -S prepared statement 0.78 → 0.38 µs, simple 0.77 → 0.54,
 * masked 0.69 → 0.46, a 20-row result 15.2 → 8.7, a MySQL point select 0.67 → 0.56. Per relayed
 * statement (mysql-relay-cpu.ts, separate processes) ~0.07 µs less for a text point select and
 * ~0.12 for a prepared one: a text seen once (a literal in it) or a long value costs an encoder
 * call (~50 ns) either way, so lines of those gain least.
 */
export class StatementBytes {
  readonly #out = new LineBytes();
  readonly #head = new LastBytes('{"type":"statement","at":', ',"seq":');
  readonly #text = new LastBytes(',"text":');
  readonly #prepared = new LastBytes(',"prepared":', ',"durationMs":');
  readonly #commandTag = new LastBytes(',"commandTag":');
  /**
   * Verdicts, mask counts and column names handed out frozen (one verdict object per policy memo entry, one
   * name list per result shape): their JSON is made once (FrozenBytes), not walked again for every statement.
   */
  readonly #verdicts = new FrozenBytes<NonNullable<StatementEvent['verdict']>>(',"verdict":', (out, v) => out.utf8(any(v)));
  readonly #maskCounts = new FrozenBytes<NonNullable<StatementEvent['masked']>>(',"masked":', masked);
  readonly #columns = new FrozenBytes<readonly (string | null)[]>(',"columns":', cells, (cs) => Array.isArray(cs) && cs.every((c) => typeof c === 'string' || c === null));

  /**
   * Writes `e`'s line (without the newline) into `buf` from `pos`, all of it before `end`.
   * Returns where the line ends, or -1 when it does not fit: then the bytes from `pos` to `end`
   * are garbage and the line must be written again (in a fresh buffer). Throws what
   * `JSON.stringify` throws (a BigInt, a cycle).
   */
  write(e: StatementEvent, buf: Buffer, pos: number, end: number): number {
    const out = this.#out;
    out.start(buf, pos, end);
    this.#head.write(out, e.at);
    value(out, e.seq);
    this.#text.write(out, e.text);
    if (e.params !== undefined) {
      out.bytes(keys.params);
      cells(out, e.params);
    }
    if (e.prepared === undefined) out.bytes(keys.durationMs);
    else this.#prepared.write(out, e.prepared);
    value(out, e.durationMs);
    if (e.commandTag !== undefined) this.#commandTag.write(out, e.commandTag);
    if (e.rowsAffected !== undefined) {
      out.bytes(keys.rowsAffected);
      value(out, e.rowsAffected);
    }
    if (e.columns !== undefined) this.#columns.write(out, e.columns);
    if (e.rows !== undefined) {
      out.bytes(keys.rows);
      rows(out, e.rows);
    }
    const n = e.rowCount;
    if (e.rowsTruncated === false && Number.isInteger(n) && n >= 0 && n < untruncatedBytes.length) out.bytes(untruncatedBytes[n]!);
    else {
      out.bytes(keys.rowCount);
      value(out, n);
      out.bytes(keys.rowsTruncated);
      value(out, e.rowsTruncated);
    }
    if (e.error !== undefined) {
      out.bytes(keys.error);
      error(out, e.error);
    }
    if (e.verdict !== undefined) this.#verdicts.write(out, e.verdict);
    if (e.masked !== undefined) this.#maskCounts.write(out, e.masked);
    if (e.uncertain !== undefined) {
      out.bytes(keys.uncertain);
      value(out, e.uncertain);
    }
    // Rare (a file or COPY data loaded): written as JSON.stringify writes it.
    if (e.upload !== undefined) {
      out.bytes(keys.upload);
      out.utf8(any(e.upload));
    }
    out.byte(0x7d);
    return out.fits ? out.pos : -1;
  }
}

const keys = {
  params: Buffer.from(',"params":'),
  durationMs: Buffer.from(',"durationMs":'),
  rowsAffected: Buffer.from(',"rowsAffected":'),
  rows: Buffer.from(',"rows":'),
  rowCount: Buffer.from(',"rowCount":'),
  rowsTruncated: Buffer.from(',"rowsTruncated":'),
  error: Buffer.from(',"error":'),
  uncertain: Buffer.from(',"uncertain":'),
  upload: Buffer.from(',"upload":'),
  null: Buffer.from('null'),
};
/** `rowCount` and `rowsTruncated` of a result the cap did not cut, up to this many rows, written from a table. */
const untruncatedBytes = Array.from({ length: 64 }, (_, n) => Buffer.from(`,"rowCount":${n},"rowsTruncated":false`));

/**
 * `before` + the last string written as JSON + `after`, copied while the same string comes back.
 * Its bytes are kept only once it comes back (a text seen once, as most texts without parameters
 * are, is never copied out), taken from where its second line was written.
 */
class LastBytes {
  readonly #before: Buffer;
  readonly #after: Buffer | undefined;
  #raw = '';
  #bytes: Buffer | undefined;

  constructor(before: string, after = '') {
    this.#before = Buffer.from(before);
    this.#after = after === '' ? undefined : Buffer.from(after);
    this.#bytes = Buffer.from(before + '""' + after);
  }

  write(out: LineBytes, s: string): void {
    const again = s === this.#raw;
    if (again && this.#bytes !== undefined) return out.bytes(this.#bytes);
    const from = out.pos;
    out.bytes(this.#before);
    value(out, s);
    if (this.#after !== undefined) out.bytes(this.#after);
    if (typeof s !== 'string') return;
    if (!again) {
      this.#raw = s;
      this.#bytes = undefined;
    } else if (out.fits) {
      // A copy, not a view: the pending buffer is reused once written.
      this.#bytes = Buffer.from(out.buf.subarray(from, out.pos));
    }
  }
}

/**
 * `before` + the JSON of frozen objects, each written once: its bytes are copied from where its
 * first line was written and copied again for every later line naming the same object. Objects
 * that are not frozen (or not `fixed`: holding something that could still change) are written
 * anew each time.
 */
class FrozenBytes<T> {
  readonly #known = new WeakMap<object, Buffer>();
  readonly #before: Buffer;
  readonly #write: (out: LineBytes, v: T) => void;
  readonly #fixed: (v: T) => boolean;

  constructor(before: string, write: (out: LineBytes, v: T) => void, fixed: (v: T) => boolean = () => true) {
    this.#before = Buffer.from(before);
    this.#write = write;
    this.#fixed = fixed;
  }

  write(out: LineBytes, v: T): void {
    const known = v !== null && typeof v === 'object' ? this.#known.get(v) : undefined;
    if (known !== undefined) return out.bytes(known);
    const from = out.pos;
    out.bytes(this.#before);
    this.#write(out, v);
    // Frozen after writing is as good as before: nothing could change it in between.
    if (v === null || typeof v !== 'object' || !out.fits || !Object.isFrozen(v) || !this.#fixed(v)) return;
    // A copy, not a view: the pending buffer is reused once written.
    this.#known.set(v, Buffer.from(out.buf.subarray(from, out.pos)));
  }
}

/** A string, number or boolean as JSON (anything else as JSON.stringify writes it). */
function value(out: LineBytes, v: unknown): void {
  if (typeof v === 'string') out.string(v);
  else if (typeof v === 'number') out.number(v);
  else if (typeof v === 'boolean') out.ascii(v ? 'true' : 'false');
  else out.utf8(any(v));
}

/** An array of strings and nulls (parameters, column names, a row's cells). */
function cells(out: LineBytes, cs: readonly (string | null)[]): void {
  if (!Array.isArray(cs)) return out.utf8(any(cs));
  out.byte(0x5b);
  for (let i = 0; i < cs.length; i++) {
    const c: unknown = cs[i];
    if (i > 0) out.byte(0x2c);
    if (typeof c === 'string') out.string(c);
    else if (c === null || c === undefined) out.bytes(keys.null);
    else out.utf8(any(c));
  }
  out.byte(0x5d);
}

/** `rows`: an array of rows, each an array of cells. */
function rows(out: LineBytes, rs: (string | null)[][]): void {
  if (!Array.isArray(rs)) return out.utf8(any(rs));
  out.byte(0x5b);
  for (let i = 0; i < rs.length; i++) {
    const r: unknown = rs[i];
    if (i > 0) out.byte(0x2c);
    if (Array.isArray(r)) cells(out, r as (string | null)[]);
    else out.utf8(any(r));
  }
  out.byte(0x5d);
}

/** A statement's error (`{ code, message }`), anything else as JSON.stringify writes it. */
function error(out: LineBytes, err: NonNullable<StatementEvent['error']>): void {
  if (err === null || typeof err !== 'object' || typeof err.code !== 'string' || typeof err.message !== 'string' || Object.keys(err).length !== 2) return out.utf8(any(err));
  out.bytes(parts.code);
  out.string(err.code);
  out.bytes(parts.message);
  out.string(err.message);
  out.byte(0x7d);
}

/** A statement's mask counts (`{ byColumn: { column: { rule: n } }, byDetector: { detector: n } }`), anything else as JSON.stringify writes it. */
function masked(out: LineBytes, m: NonNullable<StatementEvent['masked']>): void {
  if (!isPlain(m)) return out.utf8(any(m));
  const names = Object.keys(m);
  if (names.length !== 2 || names[0] !== 'byColumn' || names[1] !== 'byDetector' || !isPlain(m.byColumn)) return out.utf8(any(m));
  out.bytes(parts.byColumn);
  let first = true;
  for (const column of Object.keys(m.byColumn)) {
    const rules = m.byColumn[column];
    if (rules === undefined) continue;
    if (!first) out.byte(0x2c);
    first = false;
    out.string(column);
    out.byte(0x3a);
    numbers(out, rules);
  }
  out.bytes(parts.byDetector);
  numbers(out, m.byDetector);
  out.byte(0x7d);
}

/** An object of counts by name. */
function numbers(out: LineBytes, counts: object): void {
  if (!isPlain(counts)) return out.utf8(any(counts));
  const entries = Object.entries(counts);
  // Checked before writing: an odd value makes the whole object JSON.stringify's.
  if (entries.some(([, n]) => n !== undefined && typeof n !== 'number')) return out.utf8(any(counts));
  out.byte(0x7b);
  let first = true;
  for (const [name, n] of entries) {
    if (n === undefined) continue;
    if (!first) out.byte(0x2c);
    first = false;
    out.string(name);
    out.byte(0x3a);
    out.number(n as number);
  }
  out.byte(0x7d);
}

/** A plain data object: no array, no `toJSON` for JSON.stringify to call. */
function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
}

const parts = {
  code: Buffer.from('{"code":'),
  message: Buffer.from(',"message":'),
  byColumn: Buffer.from('{"byColumn":{'),
  byDetector: Buffer.from('},"byDetector":'),
};
