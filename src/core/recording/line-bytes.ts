import { BoundedBytes } from './bounded-bytes.ts';

/**
 * Where one recording line's bytes go, as BoundedBytes says (a line that does not fit is written
 * again, whole, in a fresh buffer). Room is asked for before encoding, 3 bytes a UTF-16 unit for
 * text not known to be ASCII: near a buffer's end a line can be refused where it would just have
 * fit, and then goes whole into the next buffer.
 *
 * Why bytes and not a string: a line put together as one concatenation (a V8 rope) was
 * flattened into a new heap string by its write and then encoded as UTF-8; written here, the
 * remembered parts are copied as bytes made once and each value is encoded once, in place.
 */
export class LineBytes extends BoundedBytes {
  byte(c: number): void {
    if (this.room(1)) this.buf[this.pos++] = c;
  }

  /** Bytes made beforehand (remembered parts, constants). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (!this.room(n)) return;
    const { buf, pos } = this;
    // A few bytes are copied here: `set` is a builtin call (~12 ns) whatever the length.
    if (n <= 12) for (let i = 0; i < n; i++) buf[pos + i] = b[i]!;
    else buf.set(b, pos);
    this.pos = pos + n;
  }

  /**
   * A number as JSON: what `String(n)` gives for finite numbers (-0 included: "0"), null for NaN
   * and the infinities (JSON has neither). Whole numbers up to 2^31 (sequence numbers, counts) and
   * thousandths up to 2^30 (durations in whole microseconds) have their digits written here,
   * without making a string: a non-negative number that is exactly some k/1000 has no shorter
   * decimal form than k's digits with the point put back (distinct thousandths that small are
   * distinct doubles).
   */
  number(n: number): void {
    if (Number.isInteger(n) && n >= 0 && n <= 0x7fffffff) return this.#digits(n);
    const k = Math.round(n * 1000);
    if (k >= 0 && k <= 0x3fffffff && k / 1000 === n) {
      const f = k % 1000;
      this.#digits((k - f) / 1000);
      return this.ascii(thousandths[f]!);
    }
    this.ascii(Number.isFinite(n) ? '' + n : 'null');
  }

  /** The decimal digits of a whole number from 0 to 2^31 - 1 (-0 as "0", as `String` writes it). */
  #digits(i: number): void {
    let len = 1;
    for (let t = i; t >= 10; t = Math.floor(t / 10)) len++;
    if (!this.room(len)) return;
    const buf = this.buf;
    for (let p = this.pos + len - 1; p >= this.pos; p--) {
      buf[p] = 0x30 + (i % 10);
      i = Math.floor(i / 10);
    }
    this.pos += len;
  }

  /** Text known to be ASCII (a number as `number()` writes it, `true`): one byte a character, no encoder call. */
  ascii(s: string): void {
    const n = s.length;
    if (!this.room(n)) return;
    const { buf, pos } = this;
    for (let i = 0; i < n; i++) buf[pos + i] = s.charCodeAt(i);
    this.pos = pos + n;
  }

  /** Any text as UTF-8 (JSON already: what `JSON.stringify` and `any` return). */
  utf8(s: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8: room enough without measuring.
    if (this.room(s.length * 3)) this.pos += utf8Write.call(this.buf, s, this.pos, this.buf.length - this.pos);
  }

  /** A string as JSON: quoted and escaped as `JSON.stringify` escapes it. */
  string(s: string): void {
    const n = s.length;
    // Short strings are copied here (an encoder call costs ~50 ns whatever the length; this loop ~2 ns a character).
    if (n < shortString) {
      if (!this.room(n + 2)) return;
      const { buf, pos } = this;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        // Printable ASCII other than `"` and `\`: written as is. Anything else: the general way below (from the start).
        if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) break;
        buf[pos + 1 + i] = c;
      }
      if (i === n) {
        buf[pos] = 0x22;
        buf[pos + 1 + n] = 0x22;
        this.pos = pos + n + 2;
        return;
      }
    }
    if (!plain.test(s)) return this.utf8(JSON.stringify(s));
    if (!this.room(n * 3 + 2)) return;
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = 0x22;
    pos += utf8Write.call(buf, s, pos, buf.length - pos);
    buf[pos++] = 0x22;
    this.pos = pos;
  }
}

/**
 * Node's UTF-8 encoder behind `Buffer.prototype.write`, called without that wrapper: in a
 * profile of statement lines the wrapper's argument checks (all redundant here: offsets within
 * the buffer, the encoding known) took as much time as the encoding itself. Not in @types/node;
 * where a Node lacks it, `write` with the same arguments does the same.
 */
const utf8Write: (this: Buffer, s: string, offset: number, length: number) => number = (Buffer.prototype as { utf8Write?: typeof utf8Write }).utf8Write ?? Buffer.prototype.write;

/** Strings shorter than this are copied character by character (see `string`). */
const shortString = 24;

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
const plain = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * Fraction digits of thousandths as `String(n)` writes them (".5", ".05", ".005"; none for 0).
 * Durations are recorded in whole microseconds (`Math.round(ms * 1000) / 1000`): turning such a
 * double into text cost V8 60–100 ns a statement (its shortest-digits search; its number-string
 * cache rarely holds the value); k's integer part and this table give the same digits in ~30 ns.
 */
const thousandths = Array.from({ length: 1000 }, (_, f) => (f === 0 ? '' : ('.' + String(f).padStart(3, '0')).replace(/0+$/, '')));
