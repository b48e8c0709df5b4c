import { message } from '../../src/protocols/postgres/codec/message.ts';
import { rewrittenDataRowSize, writeDataRow, type ColumnCarriage } from '../../src/protocols/postgres/codec/results.ts';

/**
 * A PostgreSQL DataRow message of these text values (null: SQL NULL), built the plain way
 * (a Buffer per value, then concatenated) as the reference the codec's own writers are checked against.
 */
export function dataRow(values: readonly (string | null)[]): Buffer {
  const parts = values.map((v) => {
    if (v === null) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const b = Buffer.from(v, 'utf8');
    const len = Buffer.alloc(4);
    len.writeInt32BE(b.length);
    return Buffer.concat([len, b]);
  });
  const count = Buffer.alloc(2);
  count.writeInt16BE(values.length);
  return message('D', Buffer.concat([count, ...parts]));
}

/** The DataRow at `buf[start…]` with `masked` in place of `original`, as a message of its own (the codec's sizing and writing together). */
export function rewrittenDataRow(buf: Buffer, start: number, original: readonly (string | null)[], masked: readonly (string | null)[], carriage: readonly ColumnCarriage[] | undefined): Buffer {
  const out = Buffer.allocUnsafe(rewrittenDataRowSize(buf, start, original, masked, carriage));
  const end = writeDataRow(out, 0, buf, start, original, masked, carriage);
  if (end !== out.length) throw new Error(`writeDataRow wrote ${end} bytes where rewrittenDataRowSize said ${out.length}`);
  return out;
}
