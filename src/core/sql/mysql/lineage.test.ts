import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SourceColumn } from '../../masking/types.ts';
import { createMysqlLineage, mysqlLineage } from './lineage.ts';
import { createMysqlParser } from './parser.ts';

const parser = createMysqlParser();
const src = (s: SourceColumn) => `${s.schema ? `${s.schema}.` : ''}${s.table}.${s.column}`;
/** Per output column of the first statement: its name and sources as `schema.table.column`. */
const of = (sql: string) => mysqlLineage(parser, sql)?.[0]?.map((e) => [e.star ? '*' : e.name, e.sources.map(src).sort()]);

describe('MySQL lineage', () => {
  it('marks computed columns transformed; a column reference or a cast is as stored', () => {
    const flags = (sql: string) => mysqlLineage(parser, sql)?.[0]?.map((e) => e.transformed === true);
    expect(flags("select id, c.ssn, cast(ssn as char) as k, lower(iban), replace(ssn, '-', ''), 1 from t c")).toEqual([false, false, false, true, true, false]);
    expect(flags('select x, y from (select ssn as x, lower(iban) as y from t) d')).toEqual([false, true]);
    expect(flags('select ssn from t union select lower(ssn) from u')).toEqual([true]);
  });

  it('a plain select names its table and columns', () => {
    expect(of('select id, c.email as e from shop.customers c')).toEqual([
      ['id', ['shop.customers.id']],
      ['e', ['shop.customers.email']],
    ]);
  });

  it('sees through derived tables, nested, with expressions', () => {
    expect(of('select upper(e) as u from (select z as e from (select email as z from customers) a) b')).toEqual([['u', ['customers.email']]]);
  });

  it('derived column names match case-insensitively, as MySQL does', () => {
    expect(of('select E from (select email as e from customers) t')).toEqual([['E', ['customers.email']]]);
  });

  it('CTEs, with and without a column list', () => {
    expect(of('with w as (select email x from customers) select x from w')).toEqual([['x', ['customers.email']]]);
    expect(of('with w (k) as (select email from customers) select k from w')).toEqual([['k', ['customers.email']]]);
  });

  it('a star through a derived star keeps the column name', () => {
    expect(of('select email from (select * from customers) t')).toEqual([['email', ['customers.email']]]);
    expect(of('select * from customers')).toEqual([['*', ['customers.*']]]);
  });

  it('scalar subqueries (correlated too) contribute their output columns; UNION branches theirs by position', () => {
    expect(of('select (select max(o.card) from orders o where o.cid = c.id) m from customers c')).toEqual([['m', ['orders.card']]]);
    expect(of('select name from customers union select c from (select card c from orders) d')).toEqual([['name', ['customers.name', 'orders.card']]]);
  });

  it('an unqualified column over a join is attributed to every relation (over-approximation)', () => {
    expect(of('select email from a join b on a.id = b.id')).toEqual([['email', ['a.email', 'b.email']]]);
  });

  it('one entry per statement; statements without rows get []', () => {
    const all = mysqlLineage(parser, 'update t set a = 1; select b from t; select c into @v from t');
    expect(all?.map((l) => l?.length)).toEqual([0, 1, 0]);
  });

  it('unknown: unparseable text, a shape not followed, executable comments a server may skip', () => {
    expect(mysqlLineage(parser, 'select from where')).toEqual([undefined]);
    expect(mysqlLineage(parser, 'select /*!50000 email, */ id from customers')).toBeUndefined();
  });

  it('never throws, whatever the text (unknown is undefined)', () => {
    const words = fc.constantFrom('select', 'from', 'with', 'as', 'union', '(', ')', ',', '*', 't', 'x', 'x.y', '/*!', '*/', ';', "'", '`', 'into', '@v', 'join', 'on', '1');
    fc.assert(
      fc.property(fc.array(words, { maxLength: 14 }), (parts) => {
        const r = mysqlLineage(parser, parts.join(' '));
        expect(r === undefined || Array.isArray(r)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('the cached form answers the same and reuses the result', () => {
    const lin = createMysqlLineage(4);
    const a = lin('select e from (select email e from customers) t');
    expect(a?.[0]?.[0]?.sources.map(src)).toEqual(['customers.email']);
    expect(lin('select e from (select email e from customers) t')).toBe(a);
  });
});
