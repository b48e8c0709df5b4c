import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A fresh key pair made by the real ssh-keygen, in a temp dir; `pub` is the public key line. */
export async function makeKey(type: 'ed25519' | 'rsa' = 'ed25519', passphrase = ''): Promise<{ file: string; pub: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-key-'));
  const file = join(dir, `id_${type}`);
  await run('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', passphrase, '-C', `test-${type}`, '-f', file]);
  return { file, pub: readFileSync(`${file}.pub`, 'utf8').trim(), dir };
}

/**
 * The OpenSSH options every key-based test run uses: no user config, no
 * agent, only the given key, never a password prompt, host keys not checked
 * (each test gateway has a fresh one).
 */
export function keyOptions(port: number, key: string): string[] {
  return ['-F', '/dev/null', '-p', String(port), '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'];
}

/** Without the developer's agent, so only `-i` keys are offered. */
export const noAgentEnv = (): NodeJS.ProcessEnv => {
  const { SSH_AUTH_SOCK: _ignored, ...env } = process.env;
  return env;
};

/** `ssh -i key <login>@127.0.0.1 <command>` with BatchMode: a refused key fails at once (255). */
export function sshWithKey(port: number, login: string, key: string, command: string, extra: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn('ssh', [...keyOptions(port, key), ...extra, `${login}@127.0.0.1`, command], { env: noAgentEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => p.once('close', (code) => resolve({ code, stdout, stderr })));
}
