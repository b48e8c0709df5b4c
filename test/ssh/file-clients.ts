import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The real OpenSSH file clients through the gateway, non-interactive: sshpass
 * types the Warden token. `sftp -b` turns BatchMode on, which forbids
 * password prompts; a `-o BatchMode=no` given before it wins (ssh keeps the
 * first value of an option), so the batch still aborts on the first error.
 */
const common = (login: string) => ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1', '-o', `User=${login}`];

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], token: string, onSpawn?: (p: ChildProcess) => void, stdin = ''): Promise<Run> {
  // With onSpawn the caller may kill the whole client (sshpass, sftp, ssh): it gets its own process group.
  const p = spawn('sshpass', ['-e', ...args], { env: { ...process.env, SSHPASS: token }, stdio: ['pipe', 'pipe', 'pipe'], detached: onSpawn !== undefined });
  onSpawn?.(p);
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  p.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  p.stdin!.end(stdin);
  return new Promise((resolve) => p.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** `sftp -b -` with these commands (one per line); stops at the first failing one. `flags` go to sftp as they are (e.g. `-vvv`). */
export function sftpBatch(port: number, login: string, token: string, commands: string[], onSpawn?: (p: ChildProcess) => void, flags: string[] = []): Promise<Run> {
  return run(['sftp', '-P', String(port), ...common(login), ...flags, '-o', 'BatchMode=no', '-b', '-', '127.0.0.1'], token, onSpawn, commands.join('\n') + '\n');
}

/** `scp` (SFTP mode, OpenSSH's default) or, with `legacy`, `scp -O` (the scp/rcp protocol); remote paths as `127.0.0.1:<path>`. */
export function scp(port: number, login: string, token: string, args: string[], legacy = false, onSpawn?: (p: ChildProcess) => void): Promise<Run> {
  return run(['scp', '-P', String(port), ...common(login), ...(legacy ? ['-O'] : []), ...args], token, onSpawn);
}
