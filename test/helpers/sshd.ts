import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, stopProcess, waitForPort } from './ports.ts';

const run = promisify(execFile);

/**
 * A private OpenSSH server for tests: its own config, host key and port in a
 * temp dir, and its own OS user with a password (UsePAM no: sshd checks the
 * shadow hash itself). The system sshd is never touched. Runs as root, as
 * sshd's privilege separation requires.
 */
export interface TestSshd {
  port: number;
  user: string;
  password: string;
  /** The server's host public key line (`ssh-ed25519 AAAA… comment`), for tests that configure expected host keys. */
  hostKeyPublic: string;
  /** The listening sshd's pid (its children serve the connections), for tests that make the target vanish. */
  pid: number;
  stop(): Promise<void>;
}

/** Installs the OpenSSH server (and sshpass, which the tests use to type tokens) when this machine lacks them. */
async function ensureInstalled(): Promise<void> {
  if (existsSync('/usr/sbin/sshd') && existsSync('/usr/bin/sshpass')) return;
  const install = () => run('apt-get', ['install', '-y', 'openssh-server', 'openssh-client', 'sshpass'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  await install().catch(async () => {
    await run('apt-get', ['update']);
    await install();
  });
}

/** `authorizedKey`: a public key line the test user accepts (public-key login on, e.g. for vaulted private keys). */
export async function startTestSshd(opts: { authorizedKey?: string } = {}): Promise<TestSshd> {
  await ensureInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'warden-sshd-'));
  // The user name is unique per run so parallel test files never share or remove each other's user.
  const user = `wdn${Math.random().toString(36).slice(2, 10)}`;
  const password = `Pw-${Math.random().toString(36).slice(2)}`;
  const hostKey = join(dir, 'host_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await run('useradd', ['-m', '-s', '/bin/sh', user]);
  let proc: ChildProcess | undefined;
  try {
    await run('sh', ['-c', `echo '${user}:${password}' | chpasswd`]);
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    if (opts.authorizedKey) {
      writeFileSync(join(dir, 'authorized_keys'), `${opts.authorizedKey.trim()}\n`, { mode: 0o644 });
      // sshd reads authorized_keys as the user: let it through the (otherwise private) temp dir, not list it.
      chmodSync(dir, 0o711);
    }
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        opts.authorizedKey ? `PubkeyAuthentication yes\nAuthorizedKeysFile ${join(dir, 'authorized_keys')}` : 'PubkeyAuthentication no',
        'UsePAM no',
        'PermitRootLogin no',
        `AllowUsers ${user}`,
        'StrictModes no',
        'LogLevel ERROR',
        // SFTP (and scp, which uses it by default) for the file-transfer tests.
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );
    proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    await waitForPort(port, () => (proc!.exitCode !== null ? `sshd exited: ${stderr}` : undefined));
    const p = proc;
    return {
      port,
      user,
      password,
      hostKeyPublic: readFileSync(`${hostKey}.pub`, 'utf8').trim(),
      pid: p.pid!,
      async stop() {
        await stopProcess(p);
        await removeUser(user);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (proc) await stopProcess(proc);
    await removeUser(user);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function removeUser(user: string): Promise<void> {
  // -f: removes the user even if one of its sessions is still winding down.
  await run('userdel', ['-r', '-f', user]).catch(() => undefined);
}
