import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { heapGrowingFactor } from './heap-growth.ts';

// The flag is process-wide, so it is observed in a child: V8's --trace-gc-verbose prints the
// factor each full GC's new old-generation limit was computed with.
const run = promisify(execFile);
const index = new URL('./index.ts', import.meta.url).href;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The factors of the old-generation limits a child computed in one full GC, after `setup`. */
async function limitFactors(setup: string): Promise<string[]> {
  const script = `import { createSshProtocol } from ${JSON.stringify(index)};
${setup}
const live = []; for (let i = 0; i < 200000; i++) live.push({ i });
gc();
console.log('live', live.length);`;
  const { stdout } = await run(process.execPath, ['--expose-gc', '--trace-gc-verbose', '--import', 'tsx/esm', '--input-type=module', '-e', script], {
    maxBuffer: 16 * 1024 * 1024,
  });
  expect(stdout).toContain('live 200000');
  return [...stdout.matchAll(/\[HeapController\] Limit: .*\((\d+\.\d)\)/g)].map((m) => m[1]!);
}

describe('the SSH protocol and V8 heap growth', () => {
  it('pins the old-generation growing factor once the protocol is created', async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-heap-growth-'));
    const before = await limitFactors('');
    const after = await limitFactors(`createSshProtocol({ dataDir: ${JSON.stringify(dir)} });`);
    const pinned = heapGrowingFactor.toFixed(1);
    // V8's own choice for this child (its ceiling, on a fresh heap) differs from the pinned one,
    // so the comparison can only pass because createSshProtocol set the flag.
    expect(before.length).toBeGreaterThan(0);
    expect(before).not.toContain(pinned);
    expect(after.length).toBeGreaterThan(0);
    expect(new Set(after)).toEqual(new Set([pinned]));
  }, 30_000);
});
