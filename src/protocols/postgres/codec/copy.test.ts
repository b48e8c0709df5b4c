import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CopyLineReader, writeCopyRow, type CopyRow, type LineFormat } from './copy.ts';

const csv: LineFormat = { format: 'csv', delimiter: ',', quote: '"', escape: '"', null: '', header: false };
const text: LineFormat = { format: 'text', delimiter: '\t', null: '\\N' };
const read = (f: LineFormat, ...chunks: string[]) => {
  const r = new CopyLineReader(f);
  return chunks.flatMap((c) => r.push(Buffer.from(c)));
};
const values = (rows: CopyRow[]) => rows.map((r) => r.values);

describe('CopyLineReader: CSV', () => {
  it('splits fields, unquotes, and tells NULL from an empty string', () => {
    expect(values(read(csv, '1,"a,b",,"",x\n'))).toEqual([['1', 'a,b', null, '', 'x']]);
    expect(values(read(csv, '"say ""hi""","line\nbreak"\r\n'))).toEqual([['say "hi"', 'line\nbreak']]);
  });

  it('a row split anywhere across CopyData messages comes out whole, once', () => {
    const line = '1,"a ""q"" b\nc",x\r\n';
    for (let i = 1; i < line.length; i++) {
      const rows = read(csv, line.slice(0, i), line.slice(i));
      expect(values(rows)).toEqual([['1', 'a "q" b\nc', 'x']]);
      expect(rows[0]!.raw).toBe(line);
    }
  });

  it('holds a multi-byte character split between messages', () => {
    const b = Buffer.from('é,€\n');
    const r = new CopyLineReader(csv);
    expect(r.push(b.subarray(0, 1))).toEqual([]);
    expect(r.holding).toBe(true);
    expect(values(r.push(b.subarray(1)))).toEqual([['é', '€']]);
  });

  it('honours another delimiter, quote, escape and NULL string', () => {
    const f: LineFormat = { format: 'csv', delimiter: ';', quote: "'", escape: '\\', null: 'NULL', header: false };
    expect(values(read(f, "NULL;'NULL';'it\\'s';a\\b\n"))).toEqual([[null, 'NULL', "it's", 'a\\b']]);
  });

  it('writes masked values back so they read as the same values', () => {
    for (const f of [csv, { ...csv, delimiter: ';', quote: "'", escape: '\\', null: 'NULL' }] as LineFormat[]) {
      const row = read(f, f.delimiter === ',' ? '1,x\n' : '1;x\n')[0]!;
      const masked = [null, '', 'a,b;c', `q"'\\`, 'NULL', 'two\nlines', '\\.'];
      expect(values(read(f, writeCopyRow(f, row, masked)))).toEqual([masked]);
    }
  });
});

describe('CopyLineReader: text', () => {
  it('splits on unescaped delimiters and decodes escapes', () => {
    expect(values(read(text, '1\t\\N\ta\\tb\\\\c\\n\t\\101\\x41\n'))).toEqual([['1', null, 'a\tb\\c\n', 'AA']]);
    const pipe: LineFormat = { format: 'text', delimiter: '|', null: 'NIL' };
    expect(values(read(pipe, 'a\\|b|NIL|c\n'))).toEqual([['a|b', null, 'c']]);
  });

  it('round-trips any values through write and read', () => {
    const f: LineFormat = { format: 'text', delimiter: '|', null: '\\N' };
    fc.assert(
      fc.property(fc.array(fc.option(fc.string(), { nil: null }), { minLength: 1, maxLength: 5 }), (vals) => {
        const row = read(f, 'x\n')[0]!;
        expect(values(read(f, writeCopyRow(f, row, vals)))).toEqual([vals]);
      }),
    );
  });
});

describe('CSV round trip (property)', () => {
  it('any values written are read back the same, however the bytes are split', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string(), { nil: null }), { minLength: 1, maxLength: 5 }), fc.nat(), (vals, cut) => {
        const line = writeCopyRow(csv, read(csv, 'x\n')[0]!, vals);
        const at = cut % (line.length + 1);
        expect(values(read(csv, line.slice(0, at), line.slice(at)))).toEqual([vals]);
      }),
    );
  });
});
