import { fixed, temporal, valueText, type BinaryColumn } from './binary-rows.ts';
import { readLenenc, ShortPacketError } from './lenenc.ts';

/**
 * COM_STMT_EXECUTE: statement id, cursor flags, and the bound parameters —
 * a NULL bitmap, then (when `new_params_bound`) each parameter's type, then
 * each non-NULL value in its type's binary encoding. Decoded to SQL
 * literals, so a statement that needs review can be shown to approvers with
 * its values. Pure.
 *
 * @see https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_execute.html
 */
export interface ExecuteRequest {
  id: number;
  flags: number;
  /** Each parameter as a SQL literal (`NULL`, `42`, `'text'`, `X'00ff'`). */
  literals: string[];
  /** The types used, to remember for an execute that does not send them again. */
  types: BinaryColumn[];
}

const blobTypes = new Set([0xf9, 0xfa, 0xfb, 0xfc, 0xff]);

/** `params`: the count from the prepare's answer; `previous`: types bound by an earlier execute. Throws ShortPacketError. */
export function parseExecute(p: Buffer, params: number, previous: readonly BinaryColumn[] | undefined): ExecuteRequest {
  if (p[0] !== 0x17 || p.length < 10) throw new ShortPacketError('malformed COM_STMT_EXECUTE');
  const id = p.readUInt32LE(1);
  const flags = p[5]!;
  if (params === 0) return { id, flags, literals: [], types: [] };
  let off = 10;
  const bitmap = p.subarray(off, off + ((params + 7) >> 3));
  off += bitmap.length;
  const bound = p[off++];
  if (bound === undefined) throw new ShortPacketError('COM_STMT_EXECUTE without parameters');
  let types: BinaryColumn[];
  if (bound === 1) {
    types = [];
    for (let i = 0; i < params; i++, off += 2) {
      if (off + 2 > p.length) throw new ShortPacketError('truncated parameter types');
      types.push({ type: p[off]!, unsigned: (p[off + 1]! & 0x80) !== 0 });
    }
  } else if (previous && previous.length === params) types = [...previous];
  else throw new ShortPacketError('parameters without types');
  const literals: string[] = [];
  for (let i = 0; i < params; i++) {
    if (bitmap[i >> 3]! & (1 << (i & 7))) {
      literals.push('NULL');
      continue;
    }
    const { type, unsigned } = types[i]!;
    const size = fixed[type];
    if (type === 0x06) literals.push('NULL');
    else if (size !== undefined) {
      if (off + size > p.length) throw new ShortPacketError('truncated parameter');
      literals.push(valueText(p, off, type, unsigned));
      off += size;
    } else if (temporal.has(type)) {
      const end = off + 1 + (p[off] ?? 0);
      if (end > p.length) throw new ShortPacketError('truncated parameter');
      literals.push(quote(valueText(p, off, type, unsigned)));
      off = end;
    } else {
      const len = readLenenc(p, off);
      const end = len.next + (len.value ?? 0);
      if (len.value === null || end > p.length) throw new ShortPacketError('truncated parameter');
      const raw = p.subarray(len.next, end);
      // Bytes that are not text are shown as hex: an approver sees exactly what is sent.
      literals.push(blobTypes.has(type) || !isUtf8(raw) ? `X'${raw.toString('hex')}'` : quote(raw.toString('utf8')));
      off = end;
    }
  }
  return { id, flags, literals, types };
}

const isUtf8 = (b: Buffer): boolean => Buffer.from(b.toString('utf8'), 'utf8').equals(b);
const quote = (v: string): string => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
