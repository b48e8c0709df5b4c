import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { buildApi } from '../api/server.ts';
import { createTestCore, type TestCore } from '../api/testing.ts';

/** Helpers for CLI tests: the real `warden` binary against a real API on a free port. */
export const wardenBin = fileURLToPath(new URL('../../bin/warden.mjs', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without any WARDEN_* of the developer's, plus `extra`. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WARDEN_')));
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Runs `node bin/warden.mjs …` (through tsx); resolves when it exits. */
export function runWarden(args: string[], opts: { env: NodeJS.ProcessEnv; stdin?: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wardenBin, ...args], { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Asserts a clean success and returns stdout. */
export function ok(r: Run): string {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

/** A real API over a temp SQLite store, listening on a free port. */
export async function serveTestApi(): Promise<{ t: TestCore; app: FastifyInstance; url: string; close(): Promise<void> }> {
  const t = await createTestCore();
  const app = await buildApi(t.core);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    t,
    app,
    url,
    async close() {
      await app.close();
      await t.close();
    },
  };
}
