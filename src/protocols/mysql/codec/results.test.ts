import { describe, expect, it } from 'vitest';
import { lenenc, lenencBytes } from './lenenc.ts';
import { okPayload } from './generic.ts';
import { ShortPacketError } from './lenenc.ts';
import { parseColumnDef, ResponseReader, textRowValues } from './results.ts';

const eof = (status = 0) => Buffer.from([0xfe, 0, 0, status & 0xff, status >> 8]);
const column = (name: string) => Buffer.concat([...['def', 'test', 't', 't', name, name].map((s) => lenencBytes(s)), Buffer.from([0x0c, 45, 0, 0, 0, 0, 0, 253, 0, 0, 0, 0, 0])]);
const row = (...v: (string | null)[]) => Buffer.concat(v.map((x) => (x === null ? Buffer.from([0xfb]) : lenencBytes(x))));

function roles(shape: ConstructorParameters<typeof ResponseReader>[0], packets: Buffer[]) {
  const r = new ResponseReader(shape);
  const out = packets.map((p) => r.next(p));
  return { out, done: r.done };
}

describe('following an answer', () => {
  it('a result set ends at its row EOF; SERVER_MORE_RESULTS_EXISTS chains the next', () => {
    const seq = [lenenc(1), column('a'), eof(), row('1'), eof(0x0008), okPayload({ status: 0x0008, affectedRows: 1 }), lenenc(2), column('b'), column('c'), eof(), row(null, 'x'), eof(0x0002)];
    const r = new ResponseReader('result');
    const got = seq.map((p) => {
      expect(r.done).toBe(false);
      return r.next(p);
    });
    expect(got).toEqual(['column_count', 'column', 'eof', 'row', 'eof', 'ok', 'column_count', 'column', 'column', 'eof', 'row', 'eof']);
    expect(r.done).toBe(true);
    expect(() => r.next(row('1'))).toThrow(/nobody asked/);
  });

  it('an ERR ends any answer; a plain OK ends a result', () => {
    expect(roles('result', [Buffer.from([0xff, 0x7a, 0x04, 0x23, 0x34, 0x32, 0x53, 0x30, 0x32, 0x78])])).toEqual({ out: ['err'], done: true });
    expect(roles('result', [okPayload({ status: 2 })])).toEqual({ out: ['ok'], done: true });
    expect(roles('single', [okPayload({ status: 2 })])).toEqual({ out: ['ok'], done: true });
  });

  it('a prepare answer with parameters and columns', () => {
    const ok = Buffer.from([0, 1, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0]);
    expect(roles('prepare', [ok, column('?'), column('?'), eof(), column('a'), eof()])).toEqual({ out: ['prepare_ok', 'column', 'column', 'eof', 'column', 'eof'], done: true });
    expect(roles('prepare', [Buffer.from([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])])).toEqual({ out: ['prepare_ok'], done: true });
  });

  it('names a LOCAL INFILE request, then expects OK or ERR — never a second request', () => {
    const r = new ResponseReader('result');
    expect(r.next(Buffer.from([0xfb, 0x2f, 0x65]))).toBe('infile');
    expect(r.done).toBe(false);
    expect(() => r.next(Buffer.from([0xfb, 0x2f, 0x65]))).toThrow(/second LOCAL INFILE/);
    const s = new ResponseReader('result');
    s.next(Buffer.from([0xfb, 0x2f, 0x65]));
    expect(s.next(Buffer.from([0, 2, 0, 2, 0, 0, 0]))).toBe('ok');
    expect(s.done).toBe(true);
  });

  it('decodes column definitions and text rows', () => {
    expect(parseColumnDef(column('name'))).toMatchObject({ schema: 'test', table: 't', name: 'name', orgName: 'name', charset: 45, type: 253 });
    expect(textRowValues(row('1', null, ''))).toEqual(['1', null, '']);
    // The column count only sizes the array: a row holding more or fewer values gives exactly those.
    for (const columns of [0, 2, 3, 5]) expect(textRowValues(row('1', null, ''), columns)).toStrictEqual(['1', null, '']);
  });

  it('reads packets in place inside a chunk as it reads them alone', () => {
    const seq = [lenenc(1), column('a'), eof(), row('1'), eof(0x0008), okPayload({ status: 0x0008, affectedRows: 1 }), lenenc(2), column('b'), column('c'), eof(), row(null, 'x'), eof(0x0002)];
    // Each payload between unrelated bytes, as in a chunk holding several packets.
    const chunk = Buffer.concat(seq.flatMap((p) => [Buffer.from([0xfe, 0, 0, 0]), p]));
    const r = new ResponseReader('result');
    let off = 0;
    const got = seq.map((p) => {
      off += 4;
      const role = r.nextIn(chunk, off, off + p.length);
      off += p.length;
      return role;
    });
    expect(got).toEqual(roles('result', seq).out);
    expect(r.done).toBe(true);
  });

  it('never reads the first byte of an empty payload from the packet after it', () => {
    // Alone, an empty first packet is no column count; the 0x01 that follows it in the chunk must not make it one.
    expect(() => new ResponseReader('result').next(Buffer.alloc(0))).toThrow(ShortPacketError);
    expect(() => new ResponseReader('result').nextIn(Buffer.from([0x01]), 0, 0)).toThrow(ShortPacketError);
    // Nor an EOF in the row stream from a 0xFE after it.
    const r = new ResponseReader('rows');
    expect(r.nextIn(Buffer.from([0xfe, 0, 0, 2, 0]), 0, 0)).toBe('row');
    expect(r.done).toBe(false);
  });
});
