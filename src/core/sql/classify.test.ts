import { beforeAll, describe, expect, it } from 'vitest';
import { classifyPostgres } from './classify.ts';
import { initSql } from './parser.ts';
import type { PgParser } from './parser.ts';
import { riskiest } from './types.ts';

let pg: PgParser;
beforeAll(async () => {
  pg = await initSql();
});

const one = (sql: string) => {
  const infos = classifyPostgres(pg, sql);
  expect(infos).toHaveLength(1);
  return infos[0]!;
};

describe('classifyPostgres', () => {
  it.each([
    ['SELECT * FROM t', 'read', 'SelectStmt'],
    ['select 1 /* DROP TABLE x */', 'read', 'SelectStmt'],
    ['INSERT INTO t VALUES (1)', 'write', 'InsertStmt'],
    ['UPDATE t SET a = 1 WHERE id = 2', 'write', 'UpdateStmt'],
    ['MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', 'write', 'MergeStmt'],
    ['TRUNCATE t', 'write', 'TruncateStmt'],
    ['DROP TABLE t', 'ddl', 'DropStmt'],
    ['CREATE TABLE t (a int)', 'ddl', 'CreateStmt'],
    ['ALTER TABLE t ADD COLUMN b int', 'ddl', 'AlterTableStmt'],
    ['SELECT * INTO t2 FROM t', 'ddl', 'SelectStmt'],
    ['GRANT SELECT ON t TO bob', 'dcl', 'GrantStmt'],
    ['CREATE ROLE r', 'dcl', 'CreateRoleStmt'],
    ['ALTER SYSTEM SET work_mem = 1', 'admin', 'AlterSystemStmt'],
    ['SET ROLE postgres', 'admin', 'VariableSetStmt'],
    ['SET LOCAL ROLE postgres', 'admin', 'VariableSetStmt'],
    ['SET SESSION AUTHORIZATION bob', 'admin', 'VariableSetStmt'],
    ['SET search_path = a', 'utility', 'VariableSetStmt'],
    ['SHOW work_mem', 'utility', 'VariableShowStmt'],
    ['BEGIN', 'transaction', 'TransactionStmt'],
    ['COMMIT', 'transaction', 'TransactionStmt'],
    ['VACUUM t', 'admin', 'VacuumStmt'],
    ['DO $$ BEGIN DELETE FROM t; END $$', 'unknown', 'DoStmt'],
    ['CALL p()', 'unknown', 'CallStmt'],
    ['EXECUTE p', 'unknown', 'ExecuteStmt'],
    ['COPY t TO STDOUT', 'read', 'CopyStmt'],
    ['COPY t FROM STDIN', 'write', 'CopyStmt'],
    ["COPY t TO PROGRAM 'id'", 'admin', 'CopyStmt'],
    ["COPY t FROM '/etc/passwd'", 'admin', 'CopyStmt'],
    ['COPY (DELETE FROM t RETURNING *) TO STDOUT', 'write', 'CopyStmt'],
    ['EXPLAIN DELETE FROM t', 'read', 'ExplainStmt'],
    ['EXPLAIN ANALYZE DELETE FROM t', 'write', 'ExplainStmt'],
    ['EXPLAIN (ANALYZE false) DELETE FROM t', 'write', 'ExplainStmt'],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', 'write', 'SelectStmt'],
    ['PREPARE p AS DELETE FROM t', 'write', 'PrepareStmt'],
    ['PREPARE p AS SELECT 1', 'read', 'PrepareStmt'],
    ["CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DELETE FROM t; END $$", 'ddl', 'CreateFunctionStmt'],
    ["CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS 'return 1'", 'admin', 'CreateFunctionStmt'],
    ["SELECT pg_read_file('/etc/passwd')", 'admin', 'SelectStmt'],
    ['SELECT pg_terminate_backend(1)', 'admin', 'SelectStmt'],
    ["SELECT set_config('role', 'postgres', false)", 'admin', 'SelectStmt'],
    ["SELECT * FROM dblink('db', 'DELETE FROM t') AS x(a int)", 'unknown', 'SelectStmt'],
    ["SELECT query_to_xml('DELETE FROM t RETURNING 1', true, false, '')", 'unknown', 'SelectStmt'],
    ['SELECT delete_everything()', 'unknown', 'SelectStmt'],
    ['SELECT "lower"(x), "LOWER"(x) FROM t', 'unknown', 'SelectStmt'],
    ["SELECT nextval('s')", 'write', 'SelectStmt'],
    ['SELECT count(*), lower(name), now() FROM t', 'read', 'SelectStmt'],
    ['SELECT 1 === 2', 'unknown', 'SelectStmt'],
    ['LOAD $$/tmp/evil.so$$', 'admin', 'LoadStmt'],
  ] as const)('%s → %s', (sql, cls, kind) => {
    const info = one(sql);
    expect(info.class).toBe(cls);
    expect(info.kind).toBe(kind);
    expect(info.reasons.length).toBeGreaterThan(0);
  });

  it('classifies each statement of a multi-statement string', () => {
    const infos = classifyPostgres(pg, 'SELECT 1; DELETE FROM t; DROP TABLE u');
    expect(infos.map((i) => i.class)).toEqual(['read', 'write', 'ddl']);
  });

  it('unparseable text is one unknown entry with the parse error', () => {
    const infos = classifyPostgres(pg, 'SELECT 1; DELEET FROM t');
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatchObject({ class: 'unknown', kind: 'Unparseable' });
    expect(infos[0]!.error).toMatch(/syntax error/);
  });

  it('lists tables with schemas, through joins, subqueries and quoted names', () => {
    const info = one('SELECT * FROM public.a JOIN "Odd"."Tab" ON true WHERE x IN (SELECT y FROM c)');
    expect(info.tables).toEqual([
      { schema: 'public', name: 'a' },
      { schema: 'Odd', name: 'Tab' },
      { schema: undefined, name: 'c' },
    ]);
    expect(one('DROP TABLE s.x, y').tables).toEqual([
      { schema: 's', name: 'x' },
      { schema: undefined, name: 'y' },
    ]);
  });

  it('treats CTE names as CTEs only where PostgreSQL does', () => {
    expect(one('WITH d AS (SELECT 1) SELECT * FROM d').tables).toEqual([]);
    // In a non-recursive WITH, `b` inside the first CTE is the real table b.
    expect(one('WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a, b').tables).toEqual([{ schema: undefined, name: 'b' }]);
    // A CTE in a subquery does not hide the real table outside it.
    expect(one('SELECT * FROM (WITH secret AS (SELECT 1) SELECT * FROM secret) x, secret').tables).toEqual([{ schema: undefined, name: 'secret' }]);
  });

  it('flags UPDATE/DELETE without a real WHERE', () => {
    expect(one('DELETE FROM t').updateOrDeleteWithoutWhere).toBe(true);
    expect(one('DELETE FROM t WHERE true').updateOrDeleteWithoutWhere).toBe(true);
    expect(one('UPDATE t SET a = 1 WHERE 1 = 1').updateOrDeleteWithoutWhere).toBe(true);
    expect(one('DELETE FROM t WHERE id = 1').updateOrDeleteWithoutWhere).toBe(false);
    expect(one('WITH d AS (DELETE FROM t RETURNING 1) SELECT 1').updateOrDeleteWithoutWhere).toBe(true);
  });

  it('names functions without pg_catalog and records dangerous ones', () => {
    const info = one("SELECT pg_catalog.pg_ls_dir('.'), lower('x')");
    expect(info.functions).toEqual(['pg_ls_dir', 'lower']);
    expect(info.dangerous).toEqual(['pg_ls_dir']);
    expect(one("COPY t TO PROGRAM 'id'").dangerous).toEqual(['COPY PROGRAM']);
    expect(one('PREPARE p AS SELECT lo_import($1)').dangerous).toEqual(['lo_import']);
  });

  it('records kinds of nested statements', () => {
    expect(one('EXPLAIN ANALYZE DELETE FROM t').kinds).toEqual(['ExplainStmt', 'DeleteStmt']);
    expect(one('PREPARE p AS DELETE FROM t').preparedName).toBe('p');
  });
});

describe('riskiest', () => {
  it('orders classes, unknown last', () => {
    expect(riskiest([])).toBe('read');
    expect(riskiest(['read', 'write'])).toBe('write');
    expect(riskiest(['admin', 'unknown', 'ddl'])).toBe('unknown');
    expect(riskiest(['transaction', 'utility'])).toBe('utility');
  });
});
