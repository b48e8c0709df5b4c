import { describe, expect, it } from 'vitest';
import { initSql } from '../sql/index.ts';
import { extractJustification } from './justification.ts';

const sql = await initSql();
const x = (t: string) => extractJustification(sql, t);

describe('justification in a leading comment', () => {
  it('takes the reason from a leading block or line comment and strips it from the statement', () => {
    expect(x('/* justification: INC-123 rotate keys */ DELETE FROM t')).toEqual({ justification: 'INC-123 rotate keys', statement: 'DELETE FROM t' });
    expect(x('-- Justification:  INC-9\n  delete from t where id = 1')).toEqual({ justification: 'INC-9', statement: 'delete from t where id = 1' });
    expect(x('/* a note */ /* justification: multi\n  line */ delete from t').justification).toBe('multi line');
  });

  it('ignores comments that are not leading, other comments, empty reasons and look-alikes in literals', () => {
    const none = (t: string) => expect(x(t)).toEqual({ justification: null, statement: t });
    none('DELETE FROM t /* justification: too late */');
    none("DELETE FROM t WHERE v = '/* justification: in a string */'");
    none('/* just a comment */ DELETE FROM t');
    none('/* justification:   */ DELETE FROM t');
    none('DELETE FROM t');
    none("/* justification: unterminated DELETE FROM t WHERE v = 'x");
  });
});
