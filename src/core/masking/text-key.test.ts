import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initSql, type PgParser } from '../sql/parser.ts';
import { lineageOf } from './lineage.ts';
import { literalFreeKey } from './text-key.ts';

let pg: PgParser;
beforeAll(async () => {
  pg = await initSql();
});

const lineageOrError = (sql: string) => {
  try {
    return lineageOf(pg, sql);
  } catch {
    return 'error';
  }
};

describe('literalFreeKey', () => {
  it('the same statement with other literals shares a key', () => {
    expect(literalFreeKey('SELECT abalance FROM pgbench_accounts WHERE aid = 42;')).toBe(literalFreeKey('SELECT abalance FROM pgbench_accounts WHERE aid = 7;'));
    expect(literalFreeKey("select card from t where name = 'it''s' limit 5")).toBe(literalFreeKey("select card from t where name = 'x' limit 10"));
  });

  it('structure, identifiers and risky lexing keep texts apart', () => {
    expect(literalFreeKey('select card from t1')).not.toBe(literalFreeKey('select card from t2'));
    expect(literalFreeKey("select 'a' as card")).not.toBe(literalFreeKey("select 'a', card"));
    for (const t of ['select "a\'b" from t', "select $1, 'x'", "select E'\\x' ", "select 1 -- it's", "select /* ' */ 1", 'select $$a$$']) expect(literalFreeKey(t)).toBe(t);
    // \w is ASCII: a digit after a non-ASCII letter is part of an identifier, not a literal.
    expect(literalFreeKey('select ssn from tablé1')).not.toBe(literalFreeKey('select ssn from tablé2'));
  });

  it('texts sharing a key have the same lineage (random token sequences, literals swapped)', () => {
    const literal = fc.constantFrom("'a'", "'b''c'", "''", '1', '22', '3.5', "'4111111111111111'");
    const word = fc.constantFrom('select', 'card', 'email', 'from', 't', 'u', ',', 'x1', '(', ')', 'as', "'", 'reverse', '||', 'where', '=', 'union', 'with', 'c', '*', '.', 'lateral', 'join', 'on', 'true', 'values');
    const token = fc.oneof(fc.record({ lit: literal }), fc.record({ word }));
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 14 }), fc.array(literal, { minLength: 14, maxLength: 14 }), (tokens, others) => {
        const a = tokens.map((t) => ('lit' in t ? t.lit : t.word)).join(' ');
        const b = tokens.map((t, i) => ('lit' in t ? others[i]! : t.word)).join(' ');
        if (literalFreeKey(a) === literalFreeKey(b)) expect(lineageOrError(b)).toEqual(lineageOrError(a));
      }),
      { numRuns: 3000 },
    );
  });
});
