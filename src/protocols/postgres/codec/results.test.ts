import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allPresent, dataRowOf, dataRowValues, type ColumnCarriage } from './results.ts';
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

  it('writes masked values of every length around the short-text fast path, ASCII or not, as Buffer would', () => {
    // Lengths 0–40 cross the 32-character limit under which ASCII text is sized and written in JS.
    const text = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 4 }), (masked) => {
        const original = masked.map(() => 'x');
        const buf = dataRow(original);
        expect(rewrittenDataRow(buf, 0, dataRowValues(buf, 0, undefined), masked, undefined)).toEqual(dataRow(masked));
      }),
      { numRuns: 500 },
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

describe('dataRowOf (the DataRow a fixed masked row is shown as)', () => {
  it('is byte for byte what writeDataRow writes for those values in place of any row without NULLs, whatever the carriage', () => {
    const carriage = fc.constantFrom<ColumnCarriage>('text', 'bintext', 'binary');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: 'grapheme' }), fc.constantFrom('****', null), carriage), { minLength: 1, maxLength: 6 }), fc.nat(16), (cols, pad) => {
        const buf = paddedDataRow(cols.map(([v]) => v), pad);
        const carriages = cols.map(([, , c]) => c);
        const fixed = cols.map(([, f]) => f);
        expect(dataRowOf(fixed, carriages)).toEqual(rewrittenDataRow(buf, pad, dataRowValues(buf, pad, carriages), fixed, carriages));
        expect(dataRowOf(fixed, undefined)).toEqual(dataRow(fixed));
      }),
    );
  });
});

describe('allPresent', () => {
  it('is true only for a DataRow of exactly that many values, none of them NULL', () => {
    const buf = paddedDataRow(['a', '', 'ccc'], 3);
    expect(allPresent(buf, 3, 3)).toBe(true);
    expect(allPresent(buf, 3, 2)).toBe(false);
    expect(allPresent(buf, 3, 4)).toBe(false);
    expect(allPresent(paddedDataRow(['a', null, 'c'], 0), 0, 3)).toBe(false);
    expect(allPresent(paddedDataRow([], 0), 0, 0)).toBe(true);
  });
});
