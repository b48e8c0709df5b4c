import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataRow, rewrittenDataRow } from '../../../../test/helpers/pg-data-row.ts';
import { ChunkWriter } from './chunk-writer.ts';
import { dataRowValues, rewrittenDataRowSize, writeDataRow } from './results.ts';

const value = fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }), { nil: null });
/** Per message of a chunk: its values, and undefined (passes) or what it is replaced with (a DataRow of other values, or a message). */
const messages = fc.array(
  fc.tuple(fc.array(value, { maxLength: 4 }), fc.oneof(fc.constant(undefined), fc.array(value, { maxLength: 4 }), fc.uint8Array({ maxLength: 300 }))),
  { maxLength: 12 },
);

describe('ChunkWriter', () => {
  it('sends the chunk as it came when nothing is replaced (the same Buffer, no copy)', () => {
    const chunk = Buffer.concat([dataRow(['a']), dataRow(['b'])]);
    const w = new ChunkWriter();
    w.begin(chunk);
    expect(w.changed).toBe(false);
    expect(w.finish()).toBe(chunk);
  });

  it('writes replaced messages in place and copies the unchanged runs, growing as needed, reused chunk after chunk', () => {
    const w = new ChunkWriter();
    fc.assert(
      fc.property(messages, (msgs) => {
        const rows = msgs.map(([values]) => dataRow(values));
        const chunk = Buffer.concat(rows);
        const expected: Buffer[] = [];
        w.begin(chunk);
        let off = 0;
        msgs.forEach(([values, instead], i) => {
          const end = off + rows[i]!.length;
          if (instead === undefined) expected.push(rows[i]!);
          else if (Array.isArray(instead)) {
            // A masked row, written straight into the outgoing chunk.
            const original = dataRowValues(chunk, off, undefined);
            const masked = values.map((v, k) => (k < instead.length ? instead[k]! : v));
            expected.push(rewrittenDataRow(chunk, off, original, masked, undefined));
            const size = rewrittenDataRowSize(chunk, off, original, masked, undefined);
            const at = w.reserve(off, end, size);
            expect(writeDataRow(w.buffer, at, chunk, off, original, masked, undefined)).toBe(at + size);
          } else {
            const m = Buffer.from(instead);
            expected.push(m);
            w.replace(off, end, m);
          }
          off = end;
        });
        const out = w.finish();
        expect(out).toEqual(Buffer.concat(expected));
        if (!msgs.some(([, instead]) => instead !== undefined)) expect(out).toBe(chunk);
      }),
    );
  });
});
