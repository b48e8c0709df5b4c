import { execFile } from 'node:child_process';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `mariadb` CLI against the gateway (async: the gateway under
 * test lives in this process). Plaintext unless `args` has `--ssl`; no defaults files, so the machine's config cannot change the outcome.
 */
export function mariadb(port: number, user: string, token: string, database: string, args: string[], opts: { input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'mariadb',
      ['--no-defaults', ...(args.includes('--ssl') ? [] : ['--skip-ssl']), '-h', '127.0.0.1', '-P', String(port), '-u', user, `-p${token}`, '-D', database, '--connect-timeout=10', '--batch', ...args],
      { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}
