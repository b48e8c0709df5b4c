import { beforeAll, describe, expect, it } from 'vitest';
import { initSql, type PgParser } from '../sql/parser.ts';
import { createPostgresClassifier } from '../sql/classifier.ts';
import { mayHaveFacts, statementFacts } from './statements.ts';

let pg: PgParser;
beforeAll(async () => {
  pg = await initSql();
});
const facts = (sql: string) => statementFacts(pg, sql);

describe('statementFacts', () => {
  it('COPY formats with PostgreSQL defaults', () => {
    expect(facts('copy t to stdout')).toEqual([{ copy: { format: 'text', delimiter: '\t', null: '\\N' } }]);
    expect(facts('copy t to stdout with (format csv)')).toEqual([{ copy: { format: 'csv', delimiter: ',', quote: '"', escape: '"', null: '', header: false } }]);
    expect(facts("copy (select 1) to stdout with (format csv, header, delimiter ';', quote '''', escape '\\', null 'N')")).toEqual([
      { copy: { format: 'csv', delimiter: ';', quote: "'", escape: '\\', null: 'N', header: true } },
    ]);
    expect(facts('copy t to stdout csv header')[0]?.copy).toMatchObject({ format: 'csv', header: true });
    expect(facts('copy t to stdout (format csv, header false)')[0]?.copy).toMatchObject({ header: false });
    expect(facts('copy t to stdout (format csv, header 0)')[0]?.copy).toMatchObject({ header: false });
    expect(facts("copy t to stdout (delimiter '|', null 'NIL')")).toEqual([{ copy: { format: 'text', delimiter: '|', null: 'NIL' } }]);
    expect(facts('copy t to stdout binary')).toEqual([{ copy: { format: 'binary' } }]);
    expect(facts('copy t from stdin')).toEqual([{}]);
  });

  it('cursor operations', () => {
    expect(facts('declare c cursor for select 1; declare h cursor with hold for select 2')).toEqual([
      { cursor: { op: 'declare', name: 'c', hold: false } },
      { cursor: { op: 'declare', name: 'h', hold: true } },
    ]);
    expect(facts('fetch 5 from c; fetch all "C"; move next in c; close c; close all; select 1')).toEqual([
      { cursor: { op: 'fetch', name: 'c' } },
      { cursor: { op: 'fetch', name: 'C' } },
      {},
      { cursor: { op: 'close', name: 'c' } },
      { cursor: { op: 'close', name: undefined } },
      {},
    ]);
  });
});

describe('mayHaveFacts', () => {
  it("accepts the classifier's kind of every statement statementFacts has facts for, and not a plain query's", () => {
    const kinds = (sql: string) => createPostgresClassifier(pg).classify(sql).map((st) => st.kind);
    const sql = "copy t to stdout; copy (select 1) to stdout csv; declare c cursor for select 1; fetch 5 from c; close c; close all; select 1; insert into t values (1); explain select 1";
    const withFacts = facts(sql).map((f) => f.copy !== undefined || f.cursor !== undefined);
    expect(withFacts).toEqual([true, true, true, true, true, true, false, false, false]);
    expect(kinds(sql).map(mayHaveFacts)).toEqual(withFacts);
  });
});
