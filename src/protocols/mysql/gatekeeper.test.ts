import { describe, expect, it } from 'vitest';
import { extractJustification } from './gatekeeper.ts';

describe('justification comments (MySQL rules)', () => {
  it('takes a leading comment and reviews the rest', () => {
    expect(extractJustification('/* justification: INC-1  fix */ delete from t where id = 1')).toEqual({ justification: 'INC-1 fix', statement: 'delete from t where id = 1' });
  });

  it('ends the comment at the first */ (no nesting in MySQL), so hidden code stays in the statement', () => {
    const r = extractJustification('/* justification: x /* */ drop table t; -- */ select 1');
    expect(r.justification).toBe('x /*');
    expect(r.statement).toBe('drop table t; -- */ select 1');
  });

  it('never takes executable comments, later comments or empty ones', () => {
    for (const text of ['/*! justification: x */ drop table t', '/*M! justification: x */ drop table t', 'delete from t /* justification: x */', '/* justification:   */ delete from t']) {
      expect(extractJustification(text)).toEqual({ justification: null, statement: text });
    }
  });
});
