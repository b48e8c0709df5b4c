/** Builds one typed message: type byte, int32 length, body. */
export function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = type.charCodeAt(0);
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

export function cstring(s: string): Buffer {
  return Buffer.from(s + '\0', 'utf8');
}

export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** Reads a NUL-terminated string at `off`; returns it and the offset after the NUL. */
export function readCString(buf: Buffer, off: number, end = buf.length): [string, number] {
  const nul = buf.indexOf(0, off);
  if (nul < 0 || nul >= end) throw new Error('unterminated string in message');
  return [buf.toString('utf8', off, nul), nul + 1];
}

/**
 * Runs up to this many bytes are copied byte by byte in JS: `Buffer#copy` costs ~50 ns whatever
 * the size (Node 20: argument checks, a typed-array view of the source range, a native set), which
 * a loop only reaches at ~32–48 bytes. The runs around a masked DataRow (a RowDescription before
 * it, CommandComplete and ReadyForQuery after it: 19–38 bytes under pgbench) are that short.
 */
const shortRun = 40;

/** Copies `src[from, to)` into `out` at `at`; returns the bytes copied. */
export function copyBytes(src: Buffer, from: number, to: number, out: Buffer, at: number): number {
  const n = to - from;
  if (n > shortRun) return src.copy(out, at, from, to);
  for (let i = 0; i < n; i++) out[at + i] = src[from + i]!;
  return n;
}
