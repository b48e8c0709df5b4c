import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lenencBytes } from './lenenc.ts';
import { buildTextRow, textRowCells } from './rows.ts';
import { textRowValues } from './results.ts';

const row = (...v: (string | null)[]) => Buffer.concat(v.map((x) => (x === null ? Buffer.from([0xfb]) : lenencBytes(x))));

describe('text rows', () => {
  it('rebuilds a row with replaced, nulled and kept cells, recomputing lengths', () => {
    const p = row('1', 'ada@example.com', null, 'x'.repeat(300));
    const cells = textRowCells(p);
    expect(cells.map((c) => c?.toString())).toEqual(['1', 'ada@example.com', undefined, 'x'.repeat(300)]);
    const out = buildTextRow(cells, [undefined, '****', undefined, null]);
    expect(textRowValues(out)).toEqual(['1', '****', null, null]);
    const longer = buildTextRow(cells, [undefined, 'y'.repeat(70_000), undefined, undefined]);
    expect(textRowValues(longer)).toEqual(['1', 'y'.repeat(70_000), null, 'x'.repeat(300)]);
  });

  it('keeps the bytes of every cell left unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string({ maxLength: 300 }), { nil: null })), (values) => {
        const p = row(...values);
        expect(buildTextRow(textRowCells(p), values.map(() => undefined)).equals(p)).toBe(true);
      }),
    );
  });

  it('throws on a truncated cell (the relay then ends the session)', () => {
    expect(() => textRowCells(Buffer.from([0x05, 0x61]))).toThrow();
  });
});
