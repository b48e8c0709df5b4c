/**
 * Whether `buf` holds `known`'s bytes from `off`; the relays use it to recognise a description
 * they saw before (a PostgreSQL RowDescription, MySQL column definitions) and reuse its parsed form.
 *
 * A loop, not `Buffer.compare`/`equals`, for what fits in `loopBelow` bytes: the builtin's argument
 * checks and call into C++ cost more than comparing a few dozen bytes here (pgbench's 34-byte
 * RowDescription: ~43 ns against ~84 in a hot loop), and far more on the wire, where each statement
 * runs once between other processes (MySQL column definitions under sysbench point selects: ~0.6 µs
 * a statement with `equals`, ~0.2 with the loop, in CPU profiles of the gateway). Longer ones go to
 * the builtin.
 */
export function sameBytes(buf: Buffer, off: number, known: Buffer): boolean {
  const n = known.length;
  if (off < 0 || off + n > buf.length) return false;
  if (n > loopBelow) return known.compare(buf, off, off + n) === 0;
  for (let i = 0; i < n; i++) if (buf[off + i] !== known[i]) return false;
  return true;
}

const loopBelow = 256;
