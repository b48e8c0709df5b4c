import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataRowValues, type ColumnCarriage } from './results.ts';
import { dataRow, rewrittenDataRow } from '../../../../test/helpers/pg-data-row.ts';

/** A DataRow behind `pad` unrelated bytes, as the relay sees it inside a chunk. */
function paddedDataRow(values: readonly (string | null)[], pad: number): Buffer {
  return Buffer.concat([Buffer.alloc(pad, 0x5a), dataRow(values)]);
}

describe('writeDataRow', () => {
  it('builds the DataRow of the masked values: lengths recomputed, unchanged values kept, multibyte text, NULLs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.option(fc.string({ unit: 'grapheme' }), { nil: null }), fc.option(fc.string({ unit: 'grapheme' }), { nil: null }), fc.boolean()), { maxLength: 8 }),
        fc.nat(16),
        (cols, pad) => {
          const original = cols.map(([v]) => v);
          const masked = cols.map(([v, m, keep]) => (keep ? v : m));
          const buf = paddedDataRow(original, pad);
          const out = rewrittenDataRow(buf, pad, dataRowValues(buf, pad, undefined), masked, undefined);
          expect(out).toEqual(dataRow(masked));
        },
      ),
    );
  });

  it('turns a changed opaque-binary value into NULL and keeps the others byte for byte', () => {
    const buf = dataRow(['\u0001\u0002', 'keep', 'secret']);
    const carriage: ColumnCarriage[] = ['binary', 'text', 'text'];
    const values = dataRowValues(buf, 0, carriage);
    const out = rewrittenDataRow(buf, 0, values, ['****', values[1]!, '****'], carriage);
    expect(dataRowValues(out, 0, undefined)).toEqual([null, 'keep', '****']);
    expect(out.readInt32BE(1)).toBe(out.length - 1);
  });
});
