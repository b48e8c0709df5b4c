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
