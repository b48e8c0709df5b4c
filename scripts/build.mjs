#!/usr/bin/env node
// Bundles the TypeScript sources into dist/ for the `warden` command (bin/warden.mjs runs
// dist/warden.mjs when it is newer than every source file, the sources through tsx otherwise).
//
// Why a bundle at all: running the sources through tsx costs ~45 MB of RSS per gateway and
// wraps every function in a `__name` helper (tsx keeps names), which showed in the hot-path
// profiles. esbuild (already what tsx uses underneath) does it in a fraction of a second, so
// `npm ci` runs it as the `prepare` step. Packages stay external: node_modules is loaded as is
// (native addons, WASM files), only Warden's own modules are bundled. Splitting keeps the
// `await import()`s lazy: modules a gateway may never need (SAML, e-mail, the demo, the shell
// parser) are separate chunks, loaded on first use.
import { build } from 'esbuild';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// --outdir: where the bundle goes (dist/ by default). It must sit inside this checkout so that
// the bundle finds node_modules by walking up.
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const out = resolve(root, values.outdir ?? 'dist');
// Built beside the target and swapped in whole: a `warden` starting meanwhile sees either the
// old bundle or the new one, never half of each.
const staging = `${out}.building-${process.pid}`;

await rm(staging, { recursive: true, force: true });
await mkdir(staging, { recursive: true });
try {
  await build({
    absWorkingDir: root,
    entryPoints: { warden: 'src/main.ts' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outdir: staging,
    outExtension: { '.js': '.mjs' },
    // Chunks sit next to the entry: code that finds files relative to its own module
    // (import.meta.url) sees the same directory whichever chunk it landed in.
    chunkNames: '[name]-[hash]',
    sourcemap: 'linked',
    // Node's accessor globals as module bindings (why: node-globals.mjs).
    inject: ['scripts/node-globals.mjs'],
    logLevel: 'warning',
  });
} catch (err) {
  await rm(staging, { recursive: true, force: true });
  throw err;
}
// Loaded by URL from src/demo/target.ts, so it is not part of the bundle.
await copyFile(join(root, 'src/demo/target-worker.mjs'), join(staging, 'target-worker.mjs'));
// Written last: bin/warden.mjs trusts dist/ only when this stamp is newer than every source.
await writeFile(join(staging, 'BUILT'), `${new Date().toISOString()}\n`);
const old = `${out}.old-${process.pid}`;
await rename(out, old).catch((err) => {
  if (err.code !== 'ENOENT') throw err;
});
await rename(staging, out);
await rm(old, { recursive: true, force: true });
