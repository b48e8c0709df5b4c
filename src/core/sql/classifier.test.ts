import { beforeAll, describe, expect, it } from 'vitest';
import { createPostgresClassifier } from './classifier.ts';
import { classifyPostgres } from './classify.ts';
import { initSql } from './parser.ts';
import type { PgParser } from './parser.ts';
import { Lru } from './lru.ts';

let pg: PgParser;
beforeAll(async () => {
  pg = await initSql();
});

describe('createPostgresClassifier', () => {
  it('shares one cache entry between statements differing only in literals', () => {
    const c = createPostgresClassifier(pg);
    const a = c.classify('SELECT abalance FROM pgbench_accounts WHERE aid = 1');
    const b = c.classify('SELECT abalance FROM pgbench_accounts WHERE aid = 98765');
    expect(b).toBe(a);
    expect(c.stats).toMatchObject({ hits: 1, misses: 1, size: 1 });
    expect(Object.isFrozen(a[0])).toBe(true);
    c.classify('SELECT abalance FROM pgbench_branches WHERE bid = 1');
    expect(c.stats.misses).toBe(2);
  });

  it('gives the same answer as the uncached classifier for literal variants', () => {
    const c = createPostgresClassifier(pg);
    const variants = [
      ["EXPLAIN (ANALYZE false) DELETE FROM t", "EXPLAIN (ANALYZE true) DELETE FROM t"],
      ["COPY t TO PROGRAM 'true'", "COPY t TO PROGRAM 'rm -rf /'"],
      ["SET ROLE 'x'", 'SET ROLE postgres'],
      ['DO $$ BEGIN END $$', "DO 'BEGIN DROP TABLE t; END'"],
      ['DELETE FROM t WHERE true', 'DELETE FROM t WHERE false'],
      ["SELECT set_config('a', 'b', false)", "SELECT set_config('role', 'postgres', false)"],
    ];
    for (const [first, second] of variants) {
      c.classify(first!);
      expect(JSON.parse(JSON.stringify(c.classify(second!)))).toEqual(JSON.parse(JSON.stringify(classifyPostgres(pg, second!))));
    }
  });

  it('is bounded', () => {
    const c = createPostgresClassifier(pg, { cacheSize: 3 });
    for (let i = 0; i < 10; i++) c.classify(`SELECT c${i} FROM t`);
    expect(c.stats.size).toBe(3);
  });

  it('does not cache keys longer than maxKeyLength', () => {
    const c = createPostgresClassifier(pg, { maxKeyLength: 10 });
    c.classify('SELECT a FROM t');
    c.classify('SELECT a FROM t');
    expect(c.stats.hits).toBe(0);
  });

  it('resolves EXECUTE through the prepared map, and is unknown without it', () => {
    const c = createPostgresClassifier(pg);
    expect(c.classify('EXECUTE p(1)')[0]!.class).toBe('unknown');
    const prepared = new Map([['p', 'SELECT 1; PREPARE p AS DELETE FROM accounts']]);
    const [info] = c.classify('EXECUTE p(1)', { prepared });
    expect(info).toMatchObject({ class: 'write', kinds: ['ExecuteStmt', 'DeleteStmt'], tables: [{ name: 'accounts' }] });
    expect(c.classify("EXECUTE q(pg_read_file('x'))", { prepared: new Map([['q', 'PREPARE q AS SELECT $1']]) })[0]!.class).toBe('admin');
    expect(c.classify('EXECUTE other', { prepared })[0]!.class).toBe('unknown');
  });

  it('handles empty and unparseable text', () => {
    const c = createPostgresClassifier(pg);
    expect(c.classify('  ')).toEqual([]);
    expect(c.classify('-- only a comment')).toEqual([]);
    expect(c.classify("SELECT 'unterminated")[0]).toMatchObject({ class: 'unknown', kind: 'Unparseable' });
  });
});

describe('Lru', () => {
  it('evicts the least recently used', () => {
    const l = new Lru<string, number>(2);
    l.set('a', 1);
    l.set('b', 2);
    l.get('a');
    l.set('c', 3);
    expect(l.get('b')).toBeUndefined();
    expect(l.get('a')).toBe(1);
  });
});

describe('Lru under many hits', () => {
  it('keeps entries read within the last half of its capacity', () => {
    const l = new Lru<number, number>(10);
    for (let i = 0; i < 10; i++) l.set(i, i);
    for (let i = 10; i < 1000; i++) {
      expect(l.get(i - 5)).toBe(i - 5); // read 5 insertions ago: still there
      l.get(0);
      l.set(i, i);
      expect(l.get(0)).toBe(0); // read on every insertion: never evicted
      expect(l.size).toBeLessThanOrEqual(10);
    }
    expect(l.get(980)).toBeUndefined(); // never read again, 20 insertions ago
  });
});
