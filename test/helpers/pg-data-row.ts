import { message } from '../../src/protocols/postgres/codec/message.ts';

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
