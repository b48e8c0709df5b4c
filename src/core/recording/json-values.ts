import type { StatementEvent } from './types.ts';

/**
 * Values of a statement event as JSON text, each as `JSON.stringify` writes it (json-line.ts's
 * contract), for the parts statement-bytes.ts writes as text: rare shapes, and JSON made once
 * per frozen object.
 */

/** What JSON.stringify makes of a value as an array element (undefined, functions, symbols: null). */
export function any(v: unknown): string {
  return JSON.stringify(v) ?? 'null';
}

/**
 * Strings without a character JSON.stringify escapes (`"`, `\`, control characters, surrogates:
 * escaped when lone). Anchored and negated: V8 runs the class over the string in one loop,
 * where an unanchored search for an escaped character starts a match at every position (~40 %
 * slower on a 120-character value).
 */
export const plain = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

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
export const thousandths = Array.from({ length: 1000 }, (_, f) => (f === 0 ? '' : ('.' + String(f).padStart(3, '0')).replace(/0+$/, '')));

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

/** `rowCount` and `rowsTruncated` with their keys (statement-bytes.ts writes the common ones from a table). */
export function counts(rowCount: number, rowsTruncated: boolean): string {
  return ',"rowCount":' + value(rowCount) + ',"rowsTruncated":' + value(rowsTruncated);
}

/** An array of strings and nulls (parameters, column names, a row's cells). */
export function cells(cs: readonly (string | null)[]): string {
  if (!Array.isArray(cs)) return any(cs);
  let o = '[';
  for (let i = 0; i < cs.length; i++) {
    const c: unknown = cs[i];
    if (i > 0) o += ',';
    o += typeof c === 'string' ? value(c) : c === null || c === undefined ? 'null' : any(c);
  }
  return o + ']';
}

export function error(err: NonNullable<StatementEvent['error']>): string {
  if (err === null || typeof err !== 'object' || typeof err.code !== 'string' || typeof err.message !== 'string' || Object.keys(err).length !== 2) return any(err);
  return '{"code":' + value(err.code) + ',"message":' + value(err.message) + '}';
}

/** A statement's mask counts (`{ byColumn: { column: { rule: n } }, byDetector: { detector: n } }`), anything else as JSON.stringify writes it. */
export function masked(m: NonNullable<StatementEvent['masked']>): string {
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
