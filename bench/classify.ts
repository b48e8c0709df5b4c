/**
 * bench/classify: statements classified per second, on two streams.
 *  - all-distinct: every statement differs in structure (cache misses: parse + classify)
 *  - literals-only: pgbench-style `SELECT abalance FROM pgbench_accounts WHERE aid = N`
 *    (cache hits keyed by the scanner-normalized text)
 * Targets (issue 3): ≥ 20k/s and ≥ 150k/s. Run: npx tsx bench/classify.ts
 */
import { performance } from 'node:perf_hooks';
import { createPostgresClassifier, initSql } from '../src/core/sql/index.ts';

const pg = await initSql();

function rate(label: string, statements: string[]): number {
  const c = createPostgresClassifier(pg, { cacheSize: 10_000 });
  for (const s of statements.slice(0, 2000)) c.classify(s); // warm up the JIT
  const c2 = createPostgresClassifier(pg, { cacheSize: 10_000 });
  const t0 = performance.now();
  for (const s of statements) c2.classify(s);
  const secs = (performance.now() - t0) / 1000;
  const r = statements.length / secs;
  console.log(`${label.padEnd(16)} ${statements.length} statements in ${secs.toFixed(2)} s = ${Math.round(r).toLocaleString('en-US')} /s (cache hits ${c2.stats.hits}, misses ${c2.stats.misses})`);
  return r;
}

const templates = [
  (i: number) => `SELECT c${i}, count(*) FROM t${i % 97} WHERE k${i} > 3 GROUP BY c${i}`,
  (i: number) => `UPDATE pgbench_accounts_${i} SET abalance = abalance + 1 WHERE aid = 5`,
  (i: number) => `INSERT INTO pgbench_history_${i} (tid, bid, aid, delta, mtime) VALUES (1, 2, 3, 4, CURRENT_TIMESTAMP)`,
  (i: number) => `SELECT a.x${i}, b.y FROM s.a JOIN s.b ON a.id = b.id${i} WHERE a.z IN (SELECT z FROM c${i})`,
];
const distinct = Array.from({ length: 40_000 }, (_, i) => templates[i % templates.length]!(i));
const literals = Array.from({ length: 300_000 }, (_, i) => `SELECT abalance FROM pgbench_accounts WHERE aid = ${(i * 7919) % 100_000 + 1}`);

const d = rate('all-distinct', distinct);
const l = rate('literals-only', literals);
console.log(`targets: all-distinct ≥ 20000/s ${d >= 20_000 ? 'OK' : 'MISSED'}, literals-only ≥ 150000/s ${l >= 150_000 ? 'OK' : 'MISSED'}`);
