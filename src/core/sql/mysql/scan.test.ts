import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanMysql } from './scan.ts';

const on = { backslashEscapes: true };
const codes = (text: string, opts = on) => scanMysql(text, opts).pieces.map((p) => p.code);

describe('scanMysql', () => {
  it('splits on ; outside strings, identifiers and comments', () => {
    expect(codes("SELECT 'a;b'; SELECT `c;d` /* ; */; -- ;\nSELECT 3")).toEqual(["SELECT 'a;b'", 'SELECT `c;d`', 'SELECT 3']);
  });

  it('unwraps executable comments as code and drops regular comments', () => {
    expect(codes('/*!50000 DROP TABLE x */')).toEqual(['DROP TABLE x']);
    expect(codes('/*M!100100 DROP TABLE x */')).toEqual(['DROP TABLE x']);
    expect(codes('SELECT /* hidden */ 1 # tail')).toEqual(['SELECT   1']);
  });

  it('keeps conditional comment contents out of codeWithoutConditional only', () => {
    const [p] = scanMysql('DELETE FROM t /*!99999 WHERE 0 */', on).pieces;
    expect(p?.code).toBe('DELETE FROM t   WHERE 0');
    expect(p?.codeWithoutConditional).toBe('DELETE FROM t');
    const [always] = scanMysql('SELECT /*! 1 */', on).pieces;
    expect(always?.codeWithoutConditional).toBe(always?.code);
  });

  it('reads -- as a comment only when whitespace follows, as MySQL does', () => {
    expect(codes('SELECT 1 --1, 2')).toEqual(['SELECT 1 - -1, 2']);
    expect(codes('SELECT 1 -- 1, 2')).toEqual(['SELECT 1']);
  });

  it('follows the backslash-escape setting', () => {
    const text = "SELECT 'a\\'; DROP TABLE t; -- '";
    expect(codes(text)).toHaveLength(1);
    expect(scanMysql(text, on).backslashInString).toBe(true);
    expect(codes(text, { backslashEscapes: false })).toEqual(["SELECT 'a\\'", 'DROP TABLE t']);
  });

  it('marks unterminated strings and comments, and comments nested in executable ones', () => {
    expect(scanMysql("SELECT 'x", on).pieces[0]?.unterminated).toBe(true);
    expect(scanMysql('SELECT 1 /* x', on).pieces[0]?.unterminated).toBe(true);
    expect(scanMysql('/*!50000 SELECT 1', on).pieces[0]?.unterminated).toBe(true);
    expect(scanMysql('/*! SELECT /* x */ 1 */', on).nestedComment).toBe(true);
  });

  it('leaves out empty statements', () => {
    expect(codes(';; -- nothing\n ; /* x */')).toEqual([]);
  });

  it('never throws and never loses a non-space code character', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ' ', ';', "'", '"', '`', '\\', '/', '*', '!', '-', '#', '\n', 'M', '5') }), (text) => {
        for (const backslashEscapes of [true, false]) {
          const r = scanMysql(text, { backslashEscapes });
          for (const p of r.pieces) expect(p.code.length).toBeGreaterThanOrEqual(p.codeWithoutConditional.length);
          if (!/[;'"`/#-]/.test(text) && text.trim() !== '') expect(r.pieces.map((p) => p.code)).toEqual([text.trim()]);
        }
      }),
    );
  });
});
