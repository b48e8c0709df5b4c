import { beforeAll, describe, expect, it } from 'vitest';
import { initSql } from '../sql/parser.ts';
import type { PgParser } from '../sql/parser.ts';
import { decideColumn } from './columns.ts';
import { alignLineage, alignTransformed, lineage, lineageOf } from './lineage.ts';
import type { MaskPlan, SourceColumn } from './types.ts';

let pg: PgParser;
beforeAll(async () => {
  pg = await initSql();
});

const card = (table = 't'): SourceColumn => ({ schema: undefined, table, column: 'card' });
const cols = (sql: string) => lineage(pg, sql);
const plan: MaskPlan = { columns: [{ column: '*.t.card', strategy: 'partial', rule: 'cards' }, { name: '*email*', strategy: 'redact', rule: 'emails' }], detectors: [], exempted: [] };
/** The column rule each output column of `sql` gets, given the result's column names. */
const decided = (sql: string, names: string[]) =>
  alignLineage(lineageOf(pg, sql)[0] ?? [], names.length, names).map((s, i) => decideColumn(plan, { name: names[i]! }, s)?.strategy);

describe('lineage', () => {
  it('follows expressions, subqueries and CTEs (unchanged behaviour)', () => {
    expect(cols('select reverse(card) from t')).toEqual([[card()]]);
    expect(cols('select x from (select card as x from t) s')).toEqual([[card()]]);
    expect(cols('with c as (select card from t) select reverse(card) from c')).toEqual([[card()]]);
    expect(cols('select id from t')).toEqual([[{ schema: undefined, table: 't', column: 'id' }]]);
  });

  describe('correlated scalar subqueries in the select list', () => {
    it('see the outer relations', () => {
      expect(cols('select (select reverse(card)) as x from t')).toEqual([[card()]]);
      expect(cols('select (select reverse(t.card) from u) as x from t')).toEqual([[card()]]);
      expect(cols('select (select (select upper(a.card)) ) from t a')).toEqual([[card()]]);
    });

    it('an unqualified column resolves here and outside unless a derived relation here certainly has it', () => {
      expect(cols('select (select card from u) from t')).toEqual([[card('u'), card()]]);
      expect(cols('select (select card from (select 1 as card) s) from t')).toEqual([[]]);
    });

    it('a FROM subquery inside a correlated subquery sees the outer level too', () => {
      expect(cols('select (select x from (select t.card as x) s) from t')).toEqual([[card()]]);
      expect(cols('select (select x from (select card as x) s) from t')).toEqual([[card()]]);
    });
  });

  describe('LATERAL', () => {
    it('a lateral subquery sees the relations before it', () => {
      expect(cols('select l.x from t, lateral (select reverse(card) as x) l')).toEqual([[card()]]);
      expect(cols('select l.x from t a join lateral (select a.card as x) l on true')).toEqual([[card()]]);
    });

    it('a function in FROM is implicitly lateral', () => {
      expect(cols('select u.x from t, unnest(array[t.card]) as u(x)')).toEqual([[card()]]);
    });

    it('a non-lateral subquery does not see its siblings', () => {
      expect(cols('select s.x from t, (select 1 as x) s')).toEqual([[]]);
    });
  });

  describe('alias column lists', () => {
    it('a renamed column is an unknown column of its table, which every column and name rule covers', () => {
      expect(cols('select reverse(c) as r from t as a(i, n, e, c)')).toEqual([[{ schema: undefined, table: 't', column: '?' }]]);
      // fail closed: it may be the card or the email column; the strictest rule (redact) wins
      expect(decided('select reverse(c) as r from t as a(i, n, e, c)', ['r'])).toEqual(['redact']);
      expect(decided('select reverse(c) as r from u as a(c)', ['r'])).toEqual(['redact']);
    });

    it('columns past the alias list keep their names', () => {
      expect(cols('select card from t as a(i)')).toEqual([[card()]]);
      expect(decided('select name from t as a(i)', ['name'])).toEqual([undefined]);
    });

    it('* over a renamed table: the renamed columns are unknown, the others by name', () => {
      expect(decided('select * from t as a(i, n)', ['i', 'n', 'email', 'card', 'note'])).toEqual(['redact', 'redact', 'redact', 'partial', undefined]);
    });

    it('renamed CTE columns', () => {
      expect(cols('with c as (select card from t) select reverse(x) from c as d(x)')).toEqual([[card()]]);
    });
  });

  describe('join aliases', () => {
    it('j.card reaches into the joined relations', () => {
      expect(cols('select reverse(j.card) as r from (t a join (select 1 as one) b on true) as j')).toEqual([[card()]]);
      expect(cols('select j.one from (t a join (select 1 as one) b on true) as j')).toEqual([[{ schema: undefined, table: 't', column: 'one' }]]);
    });

    it('j.* and a whole-row j', () => {
      expect(lineageOf(pg, 'select j.* from (t a join u b on true) as j')[0]?.map((e) => e.sources)).toEqual([
        [{ schema: undefined, table: 't', column: '*' }],
        [{ schema: undefined, table: 'u', column: '*' }],
      ]);
      expect(cols('select row_to_json(j) from (t a join u b on true) as j')[0]).toContainEqual({ schema: undefined, table: 't', column: '*' });
    });

    it('renamed join columns are unknown columns of every joined table', () => {
      expect(cols('select reverse(x) from (t join u on true) as j(x)')).toEqual([
        [
          { schema: undefined, table: 't', column: '?' },
          { schema: undefined, table: 'u', column: '?' },
        ],
      ]);
    });
  });

  it('PREPARE and DECLARE CURSOR carry their query\'s lineage (for a later EXECUTE / FETCH)', () => {
    expect(lineageOf(pg, 'prepare q as select reverse(card) from t; declare c cursor for select upper(card) from t').map((s) => s.map((e) => e.sources))).toEqual([
      [[card()]],
      [[card()]],
    ]);
    expect(lineageOf(pg, 'execute q')).toEqual([[]]);
  });

  it('UPDATE … FROM … RETURNING sees the FROM relations', () => {
    expect(cols('update u set x = 1 from t where t.id = u.id returning reverse(t.card)')).toEqual([[card()]]);
  });
});

describe('transformed: computed columns vs columns as stored', () => {
  const flags = (sql: string) => (lineageOf(pg, sql)[0] ?? []).map((e) => e.transformed === true);

  it('a column reference, a cast or a collation is as stored; a function or operator computes', () => {
    expect(flags("select id, t.card, card::text, card collate \"C\", lower(iban), ssn || '', replace(ssn, '-', ''), 1 from t")).toEqual([
      false, false, false, false, true, true, true, false,
    ]);
  });

  it('follows derived tables, CTEs, set operations and whole-row references', () => {
    expect(flags('select x, y from (select card as x, lower(iban) as y from t) s')).toEqual([false, true]);
    expect(flags('with c as (select lower(iban) as i from t) select i, c.i::text from c')).toEqual([true, true]);
    expect(flags('select card from t union select lower(card) from u')).toEqual([true]);
    expect(flags('select s from (select lower(iban) from t) s')).toEqual([true]);
    expect(flags('select * from (select id, lower(iban) as i from t) s')).toEqual([false, true]);
    expect(flags('select f from t, lateral lower(t.iban) as f')).toEqual([true]);
  });

  it('aligned around a star like the sources', () => {
    const entries = lineageOf(pg, 'select lower(a), *, b from t')[0]!;
    expect(alignTransformed(entries, 4)).toEqual([true, false, false, false]);
  });
});
