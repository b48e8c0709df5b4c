import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The layout's promises, checked from the real import graph (TypeScript's own pre-processor,
// not a regex): core never imports protocols, api, store or transport; protocols never import
// each other; only the wiring (src/gateway.ts, src/cli, src/demo) imports a protocol.
const src = resolve(import.meta.dirname, '../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

const edges = files(src).flatMap((file) =>
  ts
    .preProcessFile(readFileSync(file, 'utf8'), true, true)
    .importedFiles.filter((i) => i.fileName.startsWith('.'))
    .map((i) => ({ from: relative(src, file), to: relative(src, resolve(dirname(file), i.fileName)) })),
);

const area = (path: string) => path.split('/').slice(0, path.startsWith('protocols/') ? 2 : 1).join('/');

describe('architecture boundaries', () => {
  it('reads a real import graph', () => {
    expect(edges.length).toBeGreaterThan(50);
    expect(edges.some((e) => e.from === 'gateway.ts' && e.to.startsWith('protocols/postgres/'))).toBe(true);
  });

  it('core imports nothing outside core (and config types)', () => {
    const bad = edges.filter((e) => e.from.startsWith('core/') && !e.to.startsWith('core/') && !e.to.startsWith('config/'));
    expect(bad).toEqual([]);
  });

  it('protocols do not import each other, the api, the store or the cli', () => {
    const bad = edges.filter((e) => e.from.startsWith('protocols/') && !['core', 'config', 'transport'].includes(area(e.to)) && area(e.to) !== area(e.from));
    expect(bad).toEqual([]);
  });

  // The one exception: the agent answers a target's login challenges (agent-held credentials)
  // with the protocol's own pure login functions, so both modes log in identically. Only those
  // files, never a relay or a session.
  const loginAnswers = /^protocols\/[a-z]+\/(target-auth|caching-sha2|native-password|ed25519)\.ts$/;

  it('only the wiring imports protocols (and the agent, their login answers)', () => {
    const bad = edges.filter(
      (e) => e.to.startsWith('protocols/') && !e.from.startsWith('protocols/') && e.from !== 'gateway.ts' && !(e.from.startsWith('agent/') && loginAnswers.test(e.to)),
    );
    expect(bad).toEqual([]);
  });

  it('the api and store never import protocols or transport', () => {
    const bad = edges.filter((e) => ['api', 'store'].includes(area(e.from)) && ['transport', 'cli'].includes(area(e.to)));
    expect(bad).toEqual([]);
  });
});
