import { describe, expect, it } from 'vitest';
import { lenencBytes } from './codec/lenenc.ts';
import { parseColumnDef } from './codec/results.ts';
import { ColumnDefs } from './column-defs.ts';

const column = (name: string, type = 253, table = 't') =>
  Buffer.concat([...['def', 'test', table, table, name, name].map((s) => lenencBytes(s)), Buffer.from([0x0c, 45, 0, 0, 0, 0, 0, type, 0x20, 0, 0, 0, 0])]);

function collect(defs: ColumnDefs, packets: Buffer[]) {
  defs.start();
  for (const p of packets) defs.add(p, 0, p.length);
  return defs.finish();
}

describe('column definitions of a session', () => {
  it('parses each definition as parseColumnDef does', () => {
    const packets = [column('id', 3), column('email'), column('x', 8, 'u')];
    expect(collect(new ColumnDefs(), packets)).toEqual(packets.map(parseColumnDef));
  });

  it('gives the same array for a result with the same definitions, a new one when any byte differs', () => {
    const defs = new ColumnDefs();
    const first = collect(defs, [column('id', 3), column('email')]);
    // The bytes are compared, not the packet objects (a new chunk each time).
    expect(collect(defs, [Buffer.from(column('id', 3)), Buffer.from(column('email'))])).toBe(first);
    const retyped = collect(defs, [column('id', 8), column('email')]);
    expect(retyped).not.toBe(first);
    expect(retyped.map((d) => [d.name, d.type])).toEqual([['id', 8], ['email', 253]]);
    expect(retyped[1]).toBe(first[1]);
    // Fewer or more columns are another shape, even when the first ones match.
    expect(collect(defs, [column('id', 8)]).map((d) => d.name)).toEqual(['id']);
    const wider = collect(defs, [column('id', 8), column('email'), column('more')]);
    expect(wider.map((d) => d.name)).toEqual(['id', 'email', 'more']);
    expect(collect(defs, [column('id', 8), column('email'), column('more')])).toBe(wider);
  });

  it('compares long definitions too (names of hundreds of bytes)', () => {
    const defs = new ColumnDefs();
    const long = 'c'.repeat(300);
    const first = collect(defs, [column(long)]);
    expect(collect(defs, [Buffer.from(column(long))])).toBe(first);
    const other = collect(defs, [column(long, 8)]);
    expect(other).not.toBe(first);
    expect(other[0]!.type).toBe(8);
  });

  it('reads definitions where they lie in a chunk, between other bytes', () => {
    const defs = new ColumnDefs();
    const id = column('id', 3);
    const email = column('email');
    const chunk = Buffer.concat([Buffer.from([9, 9]), id, email, Buffer.from([7])]);
    const at = (c: Buffer) => {
      defs.start();
      defs.add(c, 2, 2 + id.length);
      defs.add(c, 2 + id.length, 2 + id.length + email.length);
      return defs.finish();
    };
    const first = at(chunk);
    expect(first).toEqual([id, email].map(parseColumnDef));
    // The same definitions at the same offsets of another chunk: the same array.
    expect(at(Buffer.from(chunk))).toBe(first);
    // A byte changed inside the second definition: parsed again.
    const changed = Buffer.from(chunk);
    changed[2 + id.length + email.length - 6] = 8;
    const again = at(changed);
    expect(again).not.toBe(first);
    expect(again[1]!.type).toBe(8);
  });

  it('hands out frozen definitions (shared by later results)', () => {
    const got = collect(new ColumnDefs(), [column('a')]);
    expect(Object.isFrozen(got) && Object.isFrozen(got[0])).toBe(true);
  });

  it('does not reuse the last array after a collection that never finished', () => {
    const defs = new ColumnDefs();
    const first = collect(defs, [column('a')]);
    defs.start();
    defs.add(column('b'), 0, column('b').length);
    const again = collect(defs, [column('a')]);
    expect(again).not.toBe(first);
    expect(again.map((d) => d.name)).toEqual(['a']);
  });
});
