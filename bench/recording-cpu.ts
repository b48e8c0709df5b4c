/**
 * CPU µs per recorded event of the disk recording's `append` (the event's
 * JSON line into the pending buffers; the flush and file write at close are
 * not timed: the same bytes either way), in-process, for the event shapes the
 * gateways record most: a pgbench -S statement (prepared: parameters, prepared
 * name; simple: the literal in the text), a MySQL point select (prepared; text:
 * the literal in the text), a masked
 * PostgreSQL one (its `masked` counts) and a 20-row result. Events are built
 * untimed in batches of 1000 (fresh objects, as the trackers make them), so
 * only recording is timed. Under load the rounds scatter by ±40 %: for
 * attribution, count instructions instead (`valgrind --tool=callgrind` of two
 * runs with different EVENTS, the difference over the events between them).
 *
 * A/B: pass the modules to compare (each exporting `createDiskRecordings`,
 * e.g. a copy of disk.ts from before a change with its imports made absolute);
 * their rounds interleave in one process, so all see the same load. Prints
 * every round, then the median per module and shape, and in how many rounds
 * each module was the cheaper one.
 * Run: `npx tsx bench/recording-cpu.ts [MODULE…]` (ROUNDS 9, EVENTS per round 100000, WRITERS 8).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RecordingStorage, StatementEvent } from '../src/core/recording/types.ts';

const rounds = Number(process.env.ROUNDS ?? 9);
const perRound = Math.ceil(Number(process.env.EVENTS ?? 100_000) / 1000) * 1000;
const writers = Number(process.env.WRITERS ?? 8);
const batch = 1000;
const modules = process.argv.length > 2 ? process.argv.slice(2).map((m) => resolve(m)) : [resolve(import.meta.dirname, '../src/core/recording/disk.ts')];

type Create = (dir: string, opts: { flushIntervalMs: number }) => RecordingStorage;
const creates: Create[] = [];
for (const m of modules) creates.push(((await import(pathToFileURL(m).href)) as { createDiskRecordings: Create }).createDiskRecordings);

// Shared and frozen as the trackers share them: one recorded verdict per policy verdict (verdict.ts), one
// names array per result shape, one counts object per masker result of the same hits (row-masker.ts),
// one timestamp per millisecond. json-line.ts writes a frozen object's JSON once.
const deepFreeze = <T extends object>(o: T): T => {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v);
  return Object.freeze(o);
};
const allow = deepFreeze({ effect: 'allow', rules: ['bench-allow'], classes: ['read'], tables: ['pgbench_accounts'] });
const mask = deepFreeze({ effect: 'mask', rules: ['bench-allow', 'bench-mask'], classes: ['read'], tables: ['pgbench_accounts'] });
const maskCounts = deepFreeze({ byColumn: { abalance: { 'bench-mask': 1 } }, byDetector: {} });
const names = { abalance: deepFreeze(['abalance']), c: deepFreeze(['c']), four: deepFreeze(['aid', 'bid', 'abalance', 'filler']) };
const preparedText = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1;';
const mysqlText = 'SELECT c FROM sbtest1 WHERE id=?';
let at = new Date().toISOString();

/** A statement event built as the trackers build theirs (same property order, so the same hidden classes). */
function statement(i: number, text: string, o: { params?: string[]; prepared?: string; verdict: StatementEvent['verdict']; columns: readonly string[]; rows: string[][]; tag?: string; masked?: StatementEvent['masked'] }): StatementEvent {
  const e: StatementEvent = { type: 'statement', at, seq: i, text, durationMs: 0, rows: [], rowCount: 0, rowsTruncated: false };
  if (o.params) e.params = o.params;
  if (o.prepared) e.prepared = o.prepared;
  e.verdict = o.verdict;
  e.columns = o.columns as string[];
  for (const r of o.rows) {
    e.rowCount++;
    e.rows!.push(r);
  }
  if (o.tag) e.commandTag = o.tag;
  if (o.masked) e.masked = o.masked;
  e.durationMs = Math.round((0.021 + (i % 97) / 1000 + i / 1e7) * 1e6) / 1000;
  return e;
}

const aid = (i: number) => String((i * 7919) % 1_000_000);
const shapes: Record<string, (i: number) => StatementEvent> = {
  'pg prepared': (i) => statement(i, preparedText, { params: [aid(i)], prepared: 'P0_1', verdict: allow, columns: names.abalance, rows: [[String((i * 31) % 5000)]], tag: 'SELECT 1' }),
  'pg simple': (i) => statement(i, `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid(i)};`, { verdict: allow, columns: names.abalance, rows: [[String((i * 31) % 5000)]], tag: 'SELECT 1' }),
  'mysql prepared': (i) =>
    statement(i, mysqlText, { prepared: '1', verdict: allow, columns: names.c, rows: [[`${aid(i)}-49429003436-89372345543-93402950839-15482903128-10362395820-55549541364-93283546183-9843852`]] }),
  'mysql text': (i) =>
    statement(i, `SELECT c FROM sbtest1 WHERE id=${aid(i)}`, { verdict: allow, columns: names.c, rows: [[`${aid(i)}-49429003436-89372345543-93402950839-15482903128-10362395820-55549541364-93283546183-9843852`]] }),
  'pg masked': (i) =>
    statement(i, preparedText, { params: [aid(i)], prepared: 'P0_1', verdict: mask, columns: names.abalance, rows: [['[redacted]']], tag: 'SELECT 1', masked: maskCounts }),
  'pg 20 rows': (i) =>
    statement(i, 'SELECT aid, bid, abalance, filler FROM pgbench_accounts WHERE aid BETWEEN $1 AND $2', {
      params: [String(i), String(i + 19)], prepared: 'P0_2', verdict: allow, columns: names.four,
      rows: Array.from({ length: 20 }, (_, r) => [String(i + r), '1', String((i * r) % 5000), ' '.repeat(84)]), tag: 'SELECT 20',
    }),
};

const dir = mkdtempSync(join(tmpdir(), 'warden-recording-cpu-'));
let sessions = 0;

/** CPU µs per event of appending `perRound` events of one shape to `create`'s writers. */
async function round(create: Create, shape: (i: number) => StatementEvent): Promise<number> {
  const storage = create(dir, { flushIntervalMs: 1000 });
  const open = Array.from({ length: writers }, () => storage.open(`ses_${sessions++}`));
  let used = 0;
  // Built in small batches, untimed: a large set of live events would make every young-generation GC copy them.
  for (let done = 0; done < perRound; done += batch) {
    const events: StatementEvent[] = [];
    for (let i = done; i < done + batch; i++) {
      if (i % 16 === 0) at = new Date(Date.now() + i).toISOString();
      events.push(shape(i));
    }
    const start = process.cpuUsage();
    for (let i = 0; i < batch; i++) open[i % writers]!.append(events[i]!);
    const u = process.cpuUsage(start);
    used += u.user + u.system;
  }
  await Promise.all(open.map((w) => w.close()));
  rmSync(dir, { recursive: true, force: true });
  return used / perRound;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const label = (i: number) => (modules.length === 1 ? 'disk.ts' : String.fromCharCode(65 + i));

try {
  for (const create of creates) for (const shape of Object.values(shapes)) await round(create, shape); // warm-up: JIT
  const results = creates.map(() => Object.fromEntries(Object.keys(shapes).map((s) => [s, [] as number[]])));
  for (let r = 0; r < rounds; r++) {
    const line: string[] = [];
    for (const [name, shape] of Object.entries(shapes)) {
      // Alternate which module goes first, so neither always runs right after the other's garbage.
      const order = creates.map((_, i) => i);
      if (r % 2 === 1) order.reverse();
      for (const i of order) results[i]![name]!.push(await round(creates[i]!, shape));
      line.push(`${name} ${creates.map((_, i) => `${label(i)} ${results[i]![name]!.at(-1)!.toFixed(2)}`).join(' ')}`);
    }
    console.log(`round ${r + 1}: ${line.join(' | ')}`);
  }
  console.log('\nmedian µs/event' + (modules.length > 1 ? ` (${modules.map((m, i) => `${label(i)} = ${m}`).join(', ')})` : ''));
  for (const name of Object.keys(shapes)) {
    const medians = results.map((r) => median(r[name]!).toFixed(2));
    const wins = modules.length === 2 ? `, B cheaper in ${results[1]![name]!.filter((b, k) => b < results[0]![name]![k]!).length} of ${rounds}` : '';
    console.log(`${name.padEnd(15)} ${medians.map((m, i) => `${label(i)} ${m}`).join('  ')}${wins}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
