import { spawn } from 'node:child_process';

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
