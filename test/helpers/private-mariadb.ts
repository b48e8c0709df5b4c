import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
 * With `tls`, the server has a certificate for 127.0.0.1 signed by a CA made
 * for it alone (openssl CLI), so it offers TLS and can require it of users.
 */
export interface PrivateMariadb {
  port: number;
  dir: string;
  /** Runs SQL as root with the `mariadb` CLI (batch, no column names); returns stdout. */
  sql(text: string, database?: string): Promise<string>;
  /** Everything the server logged as received (the general query log). */
  generalLog(): string;
  /** PEM of the CA that signed the server's certificate (only with `tls`). */
  ca: string | undefined;
  /** Whether the server process is still running. */
  readonly running: boolean;
  stop(): Promise<void>;
}

export async function startPrivateMariadb(opts: { tls?: boolean } = {}): Promise<PrivateMariadb> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-mariadb-'));
  const data = join(dir, 'data');
  mkdirSync(join(dir, 'files'));
  // Its own tmpdir: servers bootstrapping at the same time in the shared /tmp have collided on temp table files.
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  try {
    await run('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root', `--tmpdir=${tmp}`]);
    if (opts.tls) await makeCertificates(dir);
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
      ...(opts.tls ? [`--ssl-ca=${join(dir, 'ca.pem')}`, `--ssl-cert=${join(dir, 'server.pem')}`, `--ssl-key=${join(dir, 'server.key')}`] : []),
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
    ca: opts.tls ? readFileSync(join(dir, 'ca.pem'), 'utf8') : undefined,
    generalLog: () => readFileSync(join(dir, 'general.log'), 'utf8'),
    get running() {
      return !exited;
    },
    stop,
  };
}

/** A throwaway CA and a server certificate for 127.0.0.1 (IP SAN, so verify-full can check the name). */
async function makeCertificates(dir: string): Promise<void> {
  const f = (name: string) => join(dir, name);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=warden-test-ca']);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('san.ext')]);
}
