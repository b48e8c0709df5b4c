import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, stopProcess, waitForPort } from './ports.ts';

const run = promisify(execFile);

/**
 * A private tinyproxy (a real HTTP proxy, as a corporate network would have) on a free port, with
 * its own config in a temp dir; the system's tinyproxy, if any, is never touched.
 */
export interface TestHttpProxy {
  /** http://[user:password@]127.0.0.1:port */
  url: string;
  port: number;
  /** What tinyproxy logged so far (its Connect level: one line per request, `CONNECT host:port` for tunnels). */
  log(): string;
  stop(): Promise<void>;
}

async function ensureInstalled(): Promise<void> {
  if (existsSync('/usr/bin/tinyproxy')) return;
  const install = () => run('apt-get', ['install', '-y', 'tinyproxy'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  await install().catch(async () => {
    await run('apt-get', ['update']);
    await install();
  });
}

/** `auth`: the proxy asks for these Basic credentials (407 without them). */
export async function startTestHttpProxy(opts: { auth?: { user: string; password: string } } = {}): Promise<TestHttpProxy> {
  await ensureInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'warden-proxy-'));
  const port = await freePort();
  const config = join(dir, 'tinyproxy.conf');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 600',
      'MaxClients 100',
      'LogLevel Connect',
      `PidFile "${join(dir, 'tinyproxy.pid')}"`,
      // No ConnectPort line: CONNECT to any port (the gateway's API port is a free one).
      ...(opts.auth ? [`BasicAuth ${opts.auth.user} ${opts.auth.password}`] : []),
      '',
    ].join('\n'),
  );
  // -d: stays in the foreground and logs to stderr.
  const proc = spawn('/usr/bin/tinyproxy', ['-d', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const stop = async () => {
    await stopProcess(proc);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, () => (proc.exitCode !== null ? `tinyproxy exited: ${log}` : undefined));
  } catch (err) {
    await stop();
    throw err;
  }
  const credentials = opts.auth ? `${opts.auth.user}:${opts.auth.password}@` : '';
  return { url: `http://${credentials}127.0.0.1:${port}`, port, log: () => log, stop };
}
