import { spawn } from 'node:child_process';
import ssh2 from 'ssh2';

/**
 * The real OpenSSH client, non-interactive: sshpass types the Warden token at
 * the password prompt; host keys are neither checked nor saved (each test
 * gateway has a fresh one).
 */
export function sshExec(port: number, login: string, token: string, command: string, stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = ['-e', 'ssh', '-p', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1', `${login}@127.0.0.1`, command];
  const p = spawn('sshpass', args, { env: { ...process.env, SSHPASS: token }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  p.stdin.end(stdin);
  return new Promise((resolve) => p.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** ssh2's client logged in with a password to 127.0.0.1:`port`, once it is ready (the caller ends it). */
export async function connectSsh2(port: number, username: string, password: string): Promise<ssh2.Client> {
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
    client.connect({ host: '127.0.0.1', port, username, password });
  });
  return client;
}
