import { execFile } from 'node:child_process';

export interface PsqlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real psql binary (async: the gateway under test lives in this process). */
export function psql(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<PsqlResult> {
  return new Promise((resolve) => {
    const child = execFile('psql', ['-X', ...args], { env: { ...process.env, PGCONNECT_TIMEOUT: '10', ...opts.env }, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}
