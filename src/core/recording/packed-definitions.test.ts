import { describe, expect, it } from 'vitest';
import type { Verdict } from '../policy/types.ts';
import { PackedDefinitions, packedKinds } from './packed-definitions.ts';
import type { PackedRecord } from './packed.ts';

/** The definitions a PackedDefinitions writes, as (kind, id) pairs, with their contents. */
function recorder() {
  const written: { kind: number; id: number; content: string }[] = [];
  const defs = new PackedDefinitions(1, (r: PackedRecord) => {
    const d = r as unknown as { kind: number; id: number; content: string };
    written.push({ kind: d.kind, id: d.id, content: d.content });
  });
  return { defs, written };
}

const allow = (id: string): Verdict => ({ effect: 'allow', rules: [{ id, reason: `rule ${id}` }] }) as Verdict;

describe('PackedDefinitions', () => {
  it('gives each key one id and writes its definition once, strings by value and objects by identity', () => {
    const { defs, written } = recorder();
    const v = allow('a');
    const cols = { names: ['x'] };
    const ids = [defs.string('SELECT 1'), defs.verdict(v), defs.columns(cols, (c) => c), defs.string(`SELECT ${1}`), defs.verdict(v), defs.columns(cols, (c) => c)];
    expect(ids).toEqual([0, 1, 2, 0, 1, 2]);
    expect(written.map((w) => [w.kind, w.id])).toEqual([
      [packedKinds.string, 0],
      [packedKinds.verdict, 1],
      [packedKinds.columns, 2],
    ]);
    // An equal verdict that is another object is another definition (the relays share the one they repeat).
    expect(defs.verdict(allow('a'))).toBe(3);
    expect(JSON.parse(written[3]!.content)).toMatchObject({ effect: 'allow' });
    expect(written[2]!.content).toBe('{"names":["x"]}');
  });

  it('answers keys asked in turn, more of them than it keeps at hand, with their first ids', () => {
    const { defs, written } = recorder();
    const texts = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const first = texts.map((t) => defs.string(t));
    for (let round = 0; round < 3; round++) expect(texts.map((t) => defs.string(t))).toEqual(first);
    expect(written).toHaveLength(texts.length);
  });

  it('starts a kind over past its bound: earlier keys are written again with new ids, other kinds keep theirs', () => {
    const { defs, written } = recorder();
    const v = allow('kept');
    const vId = defs.verdict(v);
    const firstA = defs.string('a');
    for (let i = 0; i < 4096; i++) defs.string(`s${i}`);
    // Still at hand among the last few keys: same id, nothing written.
    const before = written.length;
    expect(defs.string('s4095')).toBe(written[before - 1]!.id);
    expect(written).toHaveLength(before);
    // 'a' was forgotten with the rest: a new id and a new definition, never an id reused.
    const againA = defs.string('a');
    expect(againA).not.toBe(firstA);
    expect(written.at(-1)).toMatchObject({ kind: packedKinds.string, id: againA, content: 'a' });
    expect(new Set(written.map((w) => w.id)).size).toBe(written.length);
    expect(defs.verdict(v)).toBe(vId);
  });
});
