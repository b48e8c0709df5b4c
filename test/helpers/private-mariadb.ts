import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.ts';

const run = promisify(execFile);

/**
 * A private MariaDB server on a free port, in a temp directory, for tests
 * that send statements the machine's shared MariaDB must never see (DROP,
 * SHUTDOWN, SET GLOBAL…). Root logs in over TCP without a password. The
 * general query log is on, so a test can tell whether a statement reached the
 * server; `secure_file_priv` points into the temp directory, so no statement
 * can read or write the machine's files. stop() kills it and deletes it all.
 */
export interface PrivateMariadb {
  port: number;
  dir: string;
  /** Runs SQL as root with the `mariadb` CLI (batch, no column names); returns stdout. */
  sql(text: string, database?: string): Promise<string>;
  /** Everything the server logged as received (the general query log). */
  generalLog(): string;
  /** Whether the server process is still running. */
  readonly running: boolean;
  stop(): Promise<void>;
}

export async function startPrivateMariadb(): Promise<PrivateMariadb> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-mariadb-'));
  const data = join(dir, 'data');
  mkdirSync(join(dir, 'files'));
  // Its own tmpdir: servers bootstrapping at the same time in the shared /tmp have collided on temp table files.
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  try {
    await run('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root', `--tmpdir=${tmp}`]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--port=${port}`,
      `--socket=${join(dir, 'sock')}`,
      '--bind-address=127.0.0.1',
      '--user=root',
      `--pid-file=${join(dir, 'pid')}`,
      `--log-error=${join(dir, 'error.log')}`,
      '--general-log=1',
      `--general-log-file=${join(dir, 'general.log')}`,
      `--secure-file-priv=${join(dir, 'files')}`,
      `--tmpdir=${tmp}`,
      '--skip-name-resolve',
      '--skip-log-bin',
      // Small and fast: a throwaway server needs neither memory nor durability.
      '--innodb-buffer-pool-size=16M',
      '--innodb-flush-log-at-trx-commit=0',
      '--skip-innodb-doublewrite',
    ],
    { stdio: 'ignore' },
  );
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const sql = async (text: string, database?: string) =>
    (await run('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', String(port), '-u', 'root', '--batch', '-N', ...(database ? ['-D', database] : []), '-e', text])).stdout;
  const stop = async () => {
    if (!exited) child.kill('SIGKILL');
    await gone;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    try {
      await sql('select 1');
      break;
    } catch (err) {
      if (exited || i > 200) {
        const log = (() => {
          try {
            return readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000);
          } catch {
            return '';
          }
        })();
        await stop();
        throw new Error(`private MariaDB did not start: ${(err as Error).message}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    dir,
    sql,
    generalLog: () => readFileSync(join(dir, 'general.log'), 'utf8'),
    get running() {
      return !exited;
    },
    stop,
  };
}
