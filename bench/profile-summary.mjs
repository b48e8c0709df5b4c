#!/usr/bin/env node
// Reads a V8 .cpuprofile (node --cpu-prof) and prints where the time went:
// the top functions by self time, and the project's own functions (src/) by
// total time (self + callees), each with file:line. bench/profile.sh uses it
// so that a hot spot can be named without opening Chrome DevTools.
//
// The gateway runs TypeScript through tsx, which hands V8 one-line code with a
// source map; V8 reports line 1 for everything. The maps are in tsx's cache
// (<tmpdir>/tsx-<uid>/), so positions are mapped back to the .ts line here.
//
// Usage: node bench/profile-summary.mjs FILE.cpuprofile [TOP=25]
// Plain JS, no dependencies, on purpose.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const file = process.argv[2];
const top = Number(process.argv[3] ?? 25);
if (!file) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [TOP]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));

// Self time per node from the sample stream (timeDeltas are µs between samples).
const selfUs = new Map();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

// path → [{ map, code, mtime }] from tsx's cache, newest first.
const tsxMaps = new Map();
try {
  const dir = join(tmpdir(), `tsx-${process.getuid?.() ?? 0}`);
  for (const f of readdirSync(dir)) {
    // Only cache entries: the folder also holds tsx's IPC pipes, which must not be opened.
    if (!/^\d+-[0-9a-f]{40}$/.test(f) || !statSync(join(dir, f)).isFile()) continue;
    try {
      const entry = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      const src = entry.map?.sources?.[0];
      if (typeof entry.code !== 'string' || typeof src !== 'string') continue;
      const list = tsxMaps.get(src) ?? [];
      list.push({ map: entry.map, code: entry.code, mtime: statSync(join(dir, f)).mtimeMs });
      tsxMaps.set(src, list);
    } catch {
      // not a tsx cache entry: skip it
    }
  }
  for (const list of tsxMaps.values()) list.sort((a, b) => b.mtime - a.mtime);
} catch {
  // no tsx cache: positions stay as V8 gave them
}
// The cache may hold several versions of a file: use the one whose code has the
// most profiled function names at the profiled columns (the newest on a tie).
const framesByPath = new Map();
for (const n of profile.nodes) {
  const p = n.callFrame.url.replace(/^file:\/\//, '');
  if (tsxMaps.has(p)) (framesByPath.get(p) ?? framesByPath.set(p, []).get(p)).push(n.callFrame);
}
const chosen = new Map();
for (const [p, frames] of framesByPath) {
  const named = frames.filter((cf) => /^[#\w.$]+$/.test(cf.functionName));
  const score = (v) => named.filter((cf) => v.code.slice(Math.max(0, cf.columnNumber - 40), cf.columnNumber + 60).includes(cf.functionName.replace(/^#/, '').split('.').pop())).length;
  let best;
  let bestScore = -1;
  for (const v of tsxMaps.get(p)) {
    const sc = score(v);
    if (sc > bestScore) [best, bestScore] = [v, sc];
  }
  if (best) chosen.set(p, new SourceMap(best.map));
}
const originalLine = (cf) => {
  const sm = chosen.get(cf.url.replace(/^file:\/\//, ''));
  const e = sm?.findEntry(cf.lineNumber, cf.columnNumber);
  return e && e.originalLine !== undefined ? e.originalLine + 1 : cf.lineNumber + 1;
};

const short = (url) => url.replace(/^file:\/\//, '').replace(/^.*?\/(src|node_modules|bench)\//, '$1/');
const where = (cf) => (cf.url ? `${short(cf.url)}:${originalLine(cf)}` : '(native)');
const label = (cf) => `${cf.functionName || '(anonymous)'} ${where(cf)}`;

// Parent links, to attribute inclusive time once per function per stack.
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const self = new Map();
const inclusive = new Map();
for (const [id, us] of selfUs) {
  const n = nodes.get(id);
  const key = label(n.callFrame);
  self.set(key, (self.get(key) ?? 0) + us);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = label(nodes.get(cur).callFrame);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + us);
  }
}

const pct = (us) => `${((100 * us) / totalUs).toFixed(1).padStart(5)}%`;
const print = (title, map, filter) => {
  console.log(`\n${title}`);
  [...map.entries()]
    .filter(([k]) => filter(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([k, us]) => console.log(`${pct(us)}  ${k}`));
};

console.log(`${file}: ${(totalUs / 1e6).toFixed(1)} s sampled`);
print('top self time (all code)', self, () => true);
print('top total time, project code (src/)', inclusive, (k) => / src\//.test(k));
// Native self time (socket writes, GC…) charged to the JS function that called it.
const nativeByCaller = new Map();
for (const [id, us] of selfUs) {
  const n = nodes.get(id);
  if (n.callFrame.url || ['(idle)', '(program)', '(garbage collector)'].includes(n.callFrame.functionName)) continue;
  let cur = parent.get(id);
  while (cur !== undefined && !nodes.get(cur).callFrame.url) cur = parent.get(cur);
  const k = `${n.callFrame.functionName} ← ${cur === undefined ? '(root)' : label(nodes.get(cur).callFrame)}`;
  nativeByCaller.set(k, (nativeByCaller.get(k) ?? 0) + us);
}
print('native self time by JS caller', nativeByCaller, () => true);
// Self time grouped by file: which modules cost most, whatever the function.
const byFile = new Map();
for (const [k, us] of self) {
  const f = k.includes(' ') ? k.slice(k.lastIndexOf(' ') + 1).replace(/:\d+$/, '') : k;
  byFile.set(f, (byFile.get(f) ?? 0) + us);
}
print('self time by file', byFile, () => true);
