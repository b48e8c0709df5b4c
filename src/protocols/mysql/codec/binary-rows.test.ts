import { describe, expect, it } from 'vitest';
import { binaryRowValues, decodeBinaryRow, rebuildBinaryRow, type BinaryColumn } from './binary-rows.ts';
import { lenencBytes } from './lenenc.ts';

const LONG = 0x03;
const LONGLONG = 0x08;
const DOUBLE = 0x05;
const DATETIME = 0x0c;
const TIME = 0x0b;
const VARSTRING = 0xfd;

/** A binary row: header, NULL bitmap (offset 2), then the given value bytes. */
function row(nulls: number[], n: number, ...values: Buffer[]): Buffer {
  const bitmap = Buffer.alloc((n + 9) >> 3);
  for (const i of nulls) bitmap[(i + 2) >> 3]! |= 1 << ((i + 2) & 7);
  return Buffer.concat([Buffer.from([0]), bitmap, ...values]);
}
const int32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
};

describe('binary rows', () => {
  const cols: BinaryColumn[] = [
    { type: LONG, unsigned: false },
    { type: VARSTRING, unsigned: false },
    { type: LONGLONG, unsigned: true },
    { type: DOUBLE, unsigned: false },
    { type: DATETIME, unsigned: false },
    { type: TIME, unsigned: false },
    { type: VARSTRING, unsigned: false },
  ];
  const u64 = Buffer.alloc(8);
  u64.writeBigUInt64LE(18446744073709551615n);
  const dbl = Buffer.alloc(8);
  dbl.writeDoubleLE(-2.5);
  const dt = Buffer.from([7, 0x17, 0x07, 12, 10, 13, 5, 9]); // 1815-12-10 13:05:09
  const time = Buffer.from([8, 1, 1, 0, 0, 0, 2, 3, 4]); // -26:03:04
  const p = row([6], 7, int32(-7), lenencBytes('ada@example.com'), u64, dbl, dt, time);

  it('decodes values of each encoding by column type, NULLs from the bitmap', () => {
    expect(decodeBinaryRow(p, cols).values).toEqual(['-7', 'ada@example.com', '18446744073709551615', '-2.5', '1815-12-10 13:05:09', '-26:03:04', null]);
  });

  it('rebuilds a masked row: strings rewritten, other types NULL, the rest byte for byte', () => {
    const decoded = decodeBinaryRow(p, cols);
    expect(rebuildBinaryRow(p, decoded, decoded.values).equals(p)).toBe(true);
    const shown = [...decoded.values];
    shown[1] = 'x'.repeat(300);
    shown[2] = '****';
    const out = rebuildBinaryRow(p, decoded, shown);
    expect(decodeBinaryRow(out, cols).values).toEqual(['-7', 'x'.repeat(300), null, '-2.5', '1815-12-10 13:05:09', '-26:03:04', null]);
    expect(p[1]).toBe(0); // the original bitmap is left alone
  });

  it('gives the same values without cell positions (a row nothing masks)', () => {
    expect(binaryRowValues(p, cols)).toEqual(decodeBinaryRow(p, cols).values);
    const allNull = row([0, 1, 2], 3);
    expect(binaryRowValues(allNull, cols.slice(0, 3))).toEqual([null, null, null]);
    expect(decodeBinaryRow(allNull, cols.slice(0, 3))).toEqual({ values: [null, null, null], cells: [null, null, null] });
  });

  it('throws on truncated or malformed rows (the relay then ends the session)', () => {
    expect(() => decodeBinaryRow(p.subarray(0, p.length - 3), cols)).toThrow();
    expect(() => decodeBinaryRow(Buffer.from([0xfe, 0, 0]), cols)).toThrow();
    expect(() => binaryRowValues(p.subarray(0, p.length - 3), cols)).toThrow();
    expect(() => binaryRowValues(Buffer.from([0xfe, 0, 0]), cols)).toThrow();
  });
});
