import { describe, expect, it } from 'vitest';
import { createMysqlClassifier } from '../../core/sql/mysql/index.ts';
import { refuseLocalInfile } from './local-infile.ts';
import { whoAndWhere } from './auth.ts';
import type { Verdict } from '../../core/policy/types.ts';

const classifier = createMysqlClassifier();
const allow: Verdict = { effect: 'allow', rules: [] };
const check = (text: string, requested: string) => refuseLocalInfile(classifier, { text, verdict: allow }, requested);

describe('LOCAL INFILE requests of a target', () => {
  it('passes only the file the statement names', () => {
    expect(check("LOAD DATA LOCAL INFILE 'rows.csv' INTO TABLE t", 'rows.csv')).toBeUndefined();
    // A backslash: the server reads dir\x.csv (escapes on, the default) or dir\\x.csv (NO_BACKSLASH_ESCAPES).
    expect(check("load data local infile 'dir\\\\x.csv' into table t", 'dir\\x.csv')).toBeUndefined();
    expect(check("load data local infile 'dir\\\\x.csv' into table t", 'dir\\\\x.csv')).toBeUndefined();
    expect(check("LOAD DATA LOCAL INFILE 'rows.csv' INTO TABLE t", '/etc/passwd')).toMatch(/not the file the statement names/);
  });

  it('refuses outside one plain, allowed LOAD DATA LOCAL INFILE', () => {
    expect(refuseLocalInfile(classifier, undefined, 'x')).toMatch(/outside/);
    expect(check('SELECT 1', 'x')).toMatch(/not one LOAD DATA LOCAL INFILE/);
    expect(check("SELECT 1; LOAD DATA LOCAL INFILE 'x' INTO TABLE t", 'x')).toBeDefined();
    expect(check("LOAD DATA /*!50000 LOCAL */ INFILE 'x' INTO TABLE t", 'x')).toBeDefined();
    expect(refuseLocalInfile(classifier, { text: "LOAD DATA LOCAL INFILE 'x' INTO TABLE t", verdict: { effect: 'block', rules: [], message: 'no' } }, 'x')).toMatch(/not allowed/);
  });
});

describe('who and where a MySQL login goes', () => {
  it('reads <user>/<connection>, with the database as the schema', () => {
    expect(whoAndWhere('alice/maria', 'app')).toEqual({ user: 'alice', connection: 'maria', schema: 'app' });
    expect(whoAndWhere('alice', 'maria/app')).toEqual({ user: 'alice', connection: 'maria', schema: 'app' });
    expect(whoAndWhere('alice', undefined)).toEqual({ user: 'alice', connection: undefined, schema: undefined });
    expect(() => whoAndWhere('alice/', 'x')).toThrow(/<user>\/<connection>/);
    expect(() => whoAndWhere('/maria', 'x')).toThrow();
  });
});
