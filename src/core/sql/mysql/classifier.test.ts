import { describe, expect, it } from 'vitest';
import { createMysqlClassifier } from './classifier.ts';
import { createMysqlParser } from './parser.ts';

const c = createMysqlClassifier();
const one = (text: string) => {
  const infos = c.classify(text);
  expect(infos).toHaveLength(1);
  return infos[0]!;
};

describe('createMysqlClassifier', () => {
  it('reports kinds with PostgreSQL node names, tables, and DELETE/UPDATE without WHERE', () => {
    expect(one('DELETE FROM `app`.`users`')).toMatchObject({ class: 'write', kind: 'DeleteStmt', tables: [{ schema: 'app', name: 'users' }], updateOrDeleteWithoutWhere: true });
    expect(one('UPDATE t SET a = 1 WHERE id = 2')).toMatchObject({ kind: 'UpdateStmt', updateOrDeleteWithoutWhere: false });
    expect(one('DROP TABLE t')).toMatchObject({ class: 'ddl', kind: 'DropStmt' });
    expect(one('TRUNCATE t')).toMatchObject({ kind: 'TruncateStmt' });
    expect(one('GRANT SELECT ON db.* TO u')).toMatchObject({ class: 'dcl', kind: 'GrantStmt' });
    expect(one('INSERT INTO t SELECT * FROM u').kinds).toEqual(['InsertStmt', 'SelectStmt']);
  });

  it('leaves CTE names out of the tables', () => {
    expect(one('WITH c AS (SELECT id FROM u) SELECT * FROM c').tables).toEqual([{ schema: undefined, name: 'u' }]);
  });

  it('lists functions lower-case and classifies by the riskiest', () => {
    expect(one('SELECT COUNT(*), Now() FROM t')).toMatchObject({ class: 'read', functions: ['count', 'now'] });
    expect(one('SELECT Load_File("/etc/passwd")')).toMatchObject({ class: 'admin', dangerous: ['load_file'] });
    expect(one('SELECT app.f(1)')).toMatchObject({ class: 'unknown', functions: ['app.f'] });
  });

  it('flags dangerous operations', () => {
    expect(one("SELECT 1 INTO OUTFILE '/tmp/x'")).toMatchObject({ class: 'admin', dangerous: ['INTO OUTFILE'] });
    expect(one("LOAD DATA LOCAL INFILE 'x' INTO TABLE t")).toMatchObject({ class: 'write', dangerous: ['LOAD DATA LOCAL INFILE'] });
    expect(one('SET GLOBAL x = 1')).toMatchObject({ class: 'admin', dangerous: ['SET GLOBAL'] });
    expect(one('SET @@persist.x = 1')).toMatchObject({ class: 'admin', dangerous: ['SET GLOBAL'] });
    expect(one('SET @x = 1')).toMatchObject({ class: 'utility', dangerous: [] });
    expect(one("INSTALL PLUGIN p SONAME 'p.so'")).toMatchObject({ class: 'admin', dangerous: ['INSTALL PLUGIN'] });
    expect(one('KILL QUERY 7')).toMatchObject({ class: 'admin', dangerous: ['KILL'] });
  });

  it('fails closed on what it cannot see', () => {
    for (const text of ['PREPARE s FROM @q', 'EXECUTE s USING @a', 'HANDLER t READ FIRST', 'CALL p()', 'SELEC 1', "SELECT 'x"]) {
      expect(one(text).class, text).toBe('unknown');
    }
    expect(one('SELEC 1')).toMatchObject({ kind: 'Unparseable', error: expect.any(String) });
  });

  it('classifies every statement and every reading', () => {
    expect(c.classify('SELECT 1; /*!50000 DROP TABLE x */').map((i) => i.kind)).toEqual(['SelectStmt', 'DropStmt']);
    // a server older than 9.99.99 skips the WHERE
    expect(c.classify('DELETE FROM t /*!99999 WHERE 0 */').map((i) => i.updateOrDeleteWithoutWhere)).toEqual([false, true]);
    expect(c.classify('').length).toBe(0);
    expect(c.classify('-- only a comment').length).toBe(0);
  });

  it('caches frozen results by text (integer literals aside) in a bounded LRU', () => {
    const small = createMysqlClassifier({ cacheSize: 2 });
    const a = small.classify('SELECT 1');
    expect(small.classify('SELECT 1')).toBe(a);
    expect(small.classify('SELECT 2')).toBe(a); // only an integer differs: the same classification
    expect(Object.isFrozen(a) && Object.isFrozen(a[0]) && Object.isFrozen(a[0]!.kinds)).toBe(true);
    expect(small.classify('select 1')).not.toBe(a);
    small.classify("SELECT 'x'");
    expect(small.stats).toMatchObject({ hits: 2, misses: 3, size: 2 });
    expect(small.classify('SELECT 1')).not.toBe(a); // evicted
  });

  it('fails closed when the parser returns nothing for non-empty code', () => {
    const real = createMysqlParser();
    const skipping = createMysqlClassifier({ parser: { parse: (code) => (code.startsWith('SELECT') ? real.parse(code) : { ast: [], tableList: [] }) } });
    expect(skipping.classify('DROP TABLE t')[0]).toMatchObject({ class: 'unknown', kind: 'Unparseable' });
  });
});
