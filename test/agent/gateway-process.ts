import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const bin = resolve(import.meta.dirname, '../../bin/warden.mjs');

/** A `warden gateway` child process on free ports, as an operator runs a replica. */
export interface GatewayProcess {
  child: ChildProcess;
  pgPort: number;
  apiUrl: string;
  /** Set on the first start of a new store only. */
  bootstrapToken: string | undefined;
  log(): string;
  /** SIGKILL: no shutdown code runs (a crashed host). */
  kill9(): Promise<void>;
  /** SIGTERM: a clean stop. */
  stop(): Promise<void>;
}

/**
 * Starts `warden gateway --json` with `config` (written as a JSON config file in a temp dir,
 * its dataDir too) and resolves once it prints its addresses.
 */
export async function startGatewayProcess(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
  /** `entry`: the script to run instead of bin/warden.mjs (e.g. a bundle); `nodeArgs`: flags for node before it. */
  opts: { entry?: string; nodeArgs?: string[] } = {},
): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-gwp-'));
  const file = join(dir, 'warden.json');
  writeFileSync(file, JSON.stringify({ dataDir: join(dir, 'data'), listeners: { postgres: { port: 0 }, api: { port: 0 } }, ...config }));
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.entry ?? bin, 'gateway', '--config', file, '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const line = await new Promise<string>((ok, fail) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) ok(out.slice(0, nl));
    });
    child.once('exit', (code) => fail(new Error(`warden gateway exited (${code}) before listening: ${err.slice(-2000)}`)));
  });
  const info = JSON.parse(line) as { postgres: { port: number }; api: string; bootstrapToken?: string };
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    child,
    pgPort: info.postgres.port,
    apiUrl: info.api,
    bootstrapToken: info.bootstrapToken,
    log: () => err,
    kill9: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  };
}
