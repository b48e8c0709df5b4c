import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { initSql } from './parser.ts';

describe('initSql', () => {
  // Must stay the first test of this file (its own process): it needs a grammar nobody has run yet.
  it('compiles the grammar while loading, so the first statement needs no compiler memory', async () => {
    const pg = await initSql();
    // V8's peak of malloc'd memory: compiling the scanner and the parser (lazy WebAssembly
    // compilation) raises it by ~12 MB the first time they run. initSql does that at start, where
    // the gateway calls it before loading everything else (cli/gateway.ts).
    const before = getHeapStatistics().peak_malloced_memory;
    pg.normalize("SELECT id, email FROM users WHERE id = 42 AND note <> 'x'");
    pg.parse("COPY (SELECT i AS id, 'user' || i || '@example.com' AS email FROM generate_series(1, 2) AS i) TO STDOUT");
    pg.statementKey('UPDATE t SET a = 1 WHERE b IN (1, 2, 3)');
    expect(getHeapStatistics().peak_malloced_memory - before).toBeLessThan(4 * 1024 * 1024);
  });

  it('hands out a working parser on every call (the instance is loaded once)', async () => {
    const [a, b] = await Promise.all([initSql(), initSql()]);
    expect(a.normalize('SELECT 1')).toBe('SELECT $1');
    expect(b.parse('DELETE FROM t').stmts).toHaveLength(1);
    expect(() => a.parse('SELEC 1')).toThrow();
  });
});
