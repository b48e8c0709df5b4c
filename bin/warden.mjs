#!/usr/bin/env node
// The `warden` command. Runs the bundle in dist/ (built by `npm ci` through the `prepare`
// script, or `npm run build`) when it is up to date, and the TypeScript sources through tsx
// otherwise, so an edited checkout never runs stale code. WARDEN_FROM_SOURCE=1 forces the
// sources.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** mtime (ms) of the newest file under `dir`; 0 when it is missing. */
function newest(dir) {
  let max = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return max;
}

function bundleIsCurrent() {
  if (process.env.WARDEN_FROM_SOURCE === '1') return false;
  let built;
  try {
    built = statSync(join(root, 'dist', 'BUILT')).mtimeMs;
  } catch {
    return false;
  }
  return built >= newest(join(root, 'src')) && built >= statSync(join(root, 'package.json')).mtimeMs;
}

if (bundleIsCurrent()) {
  await import(pathToFileURL(join(root, 'dist', 'warden.mjs')).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
