import { beforeAll, describe, expect, it } from 'vitest';
import { initSql, type PgParser } from './parser.ts';
import { createStatementKeys } from './statement-key.ts';

let pg: PgParser;
beforeAll(async () => {
  pg = await initSql();
});

const sameKey = (a: string, b: string) => expect(pg.statementKey(a), `${a} / ${b}`).toBe(pg.statementKey(b));
const otherKey = (a: string, b: string) => expect(pg.statementKey(a), `${a} / ${b}`).not.toBe(pg.statementKey(b));

describe('statementKey (the scanner-normalised text)', () => {
  it('texts differing only in literal values share a key, whatever the literal forms', () => {
    sameKey('SELECT abalance FROM pgbench_accounts WHERE aid = 42;', 'SELECT abalance FROM pgbench_accounts WHERE aid = 7;');
    sameKey("select card from t where name = 'it''s' limit 5", "select card from t where name = 'x' limit 10");
    sameKey("select card from t where name = E'\\x' and n = 1.5", "select card from t where name = $$a'b$$ and n = -3");
    sameKey("select card, $tag$x$tag$, U&'d\\0061t', B'101', X'1f', 1e5 from t", "select card, 'a', 'b', 'c', 'd', 2 from t");
    sameKey("declare c cursor for select card from t where id = 3", "declare c cursor for select card from t where id = 4");
    sameKey("copy (select card from t where x = 5) to stdout (format csv)", "copy (select card from t where x = 6) to stdout (format csv)");
    // A parameter stays, and literals are numbered after it: `$1, 5` and `$1, $2` share a key.
    expect(pg.statementKey('select $1, 5, card from t')).toBe('select $1, $2, card from t');
    sameKey('select $1, 5, card from t', 'select $1, $2, card from t');
  });

  it('identifiers, comments and options keep texts apart', () => {
    // A digit after a non-ASCII letter belongs to the identifier.
    otherKey('select ssn from tablé1', 'select ssn from tablé2');
    otherKey('select ssn from "t1"', 'select ssn from "t2"');
    otherKey('select "a1" from t', 'select "a2" from t');
    otherKey('select card from t1', 'select card from t2');
    otherKey("select 'a' as card", "select 'a', card");
    // A quote inside a quoted identifier or a comment is no literal's.
    expect(pg.statementKey('select "a\'b", 1 from t')).toBe('select "a\'b", $1 from t');
    expect(pg.statementKey("select 1 -- it's\n, card from t")).toBe("select $1 -- it's\n, card from t");
    expect(pg.statementKey("select /* ' */ 1, card from t")).toBe("select /* ' */ $1, card from t");
    otherKey('select 1 -- a\n, card from t', 'select 1 -- b\n, card from t');
    // COPY options and type modifiers are not literals to the key.
    otherKey("copy t to stdout (delimiter ';')", "copy t to stdout (delimiter ',')");
    otherKey('select x::varchar(10) from t', 'select x::varchar(20) from t');
  });

  it('throws the parser error for invalid SQL, but returns a scanner error as the key (libpg-query)', () => {
    expect(() => pg.statementKey('selec card from t')).toThrow(/syntax error/);
    // Texts sharing such a key are all unparseable, with that same error.
    expect(pg.statementKey("select card from t where x = 'a")).toBe('unterminated quoted string at or near "\'a"');
    expect(pg.statementKey("select ssn from u where y = 'a")).toBe('unterminated quoted string at or near "\'a"');
    expect(() => pg.parse("select ssn from u where y = 'a")).toThrow('unterminated quoted string at or near "\'a"');
  });
});

describe('createStatementKeys', () => {
  const counting = () => {
    const c: { scans: number; key: (text: string) => string } = { scans: 0, key: () => '' };
    c.key = createStatementKeys((text) => {
      c.scans++;
      return pg.normalize(text);
    });
    return c;
  };

  it('scans each of the last texts once, errors included', () => {
    const c = counting();
    expect(c.key('select card from t where id = 1')).toBe('select card from t where id = $1');
    expect(c.key('select card from t where id = 1')).toBe('select card from t where id = $1');
    expect(c.scans).toBe(1);
    expect(() => c.key('selec card')).toThrow(/syntax error/);
    expect(() => c.key('selec card')).toThrow(/syntax error/);
    expect(c.scans).toBe(2);
  });

  it('keeps the last 2 texts, none longer than 16 KiB', () => {
    const c = counting();
    c.key('select card from t where id = 1');
    c.key('select 1 from t1');
    c.key('select card from t where id = 1');
    expect(c.scans).toBe(2); // still there
    c.key('select 2 from t2');
    c.key('select 3 from t3');
    c.key('select card from t where id = 1');
    expect(c.scans).toBe(5); // forgotten, scanned again
    const long = `select '${'x'.repeat(20_000)}'`;
    c.key(long);
    c.key(long);
    expect(c.scans).toBe(7);
  });
});
