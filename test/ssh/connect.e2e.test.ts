import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerSshKey } from '../../src/core/identity/ssh-keys.ts';
import { cleanEnv, ok, runWarden } from '../../src/cli/testing.ts';
import { startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';
import { makeKey, noAgentEnv } from './key-client.ts';

// `warden connect` writes the ssh config block; then plain `ssh box` (no port, no user
// name, no token) reaches the target through the gateway with the registered key.
let sshd: TestSshd;
let t: TestGatewayWithMysql;
let key: Awaited<ReturnType<typeof makeKey>>;
let token: string;
let home: string;

const warden = (args: string[]) => runWarden(args, { env: cleanEnv({ HOME: home, WARDEN_URL: t.apiUrl, WARDEN_TOKEN: token, WARDEN_CLI_CONFIG: '/nonexistent/cli.json' }) });

beforeAll(async () => {
  [sshd, t, key] = await Promise.all([startTestSshd(), startTestGateway(), makeKey()]);
  token = await t.user('alice');
  await registerSshKey(t.gw.core, (await t.gw.core.users.byName('alice'))!, key.pub);
  await t.connection('box', { type: 'ssh', host: '127.0.0.1', port: sshd.port, username: sshd.user, password: sshd.password });
  home = mkdtempSync(join(tmpdir(), 'warden-home-'));
});
afterAll(async () => {
  await t?.stop();
  await sshd?.stop();
  if (key) rmSync(key.dir, { recursive: true, force: true });
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('warden connect', () => {
  test('prints the Host block for the signed-in user and the API host', async () => {
    const out = ok(await warden(['connect', 'box', '--port', String(t.sshPort)]));
    expect(out).toContain('Host box\n  HostName 127.0.0.1\n');
    expect(out).toContain(`  Port ${t.sshPort}\n  User alice@box\n`);
  });

  test('--write puts it into ~/.ssh/config once, keeps what was there, and `ssh box` then works', async () => {
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    writeFileSync(join(home, '.ssh', 'config'), 'Host elsewhere\n  User me\n', { mode: 0o600 });
    const args = ['connect', 'box', '--port', String(t.sshPort), '--identity-file', key.file, '--write'];
    expect(ok(await warden(args))).toContain('wrote');
    expect(ok(await warden(args))).toContain('already in');
    const config = readFileSync(join(home, '.ssh', 'config'), 'utf8');
    expect(config.startsWith('Host elsewhere\n  User me\n')).toBe(true);
    expect(config.match(/^Host box$/gm)).toHaveLength(1);
    expect(statSync(join(home, '.ssh', 'config')).mode & 0o777).toBe(0o600);

    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn('ssh', ['-F', join(home, '.ssh', 'config'), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', 'box', 'whoami'], {
        env: { ...noAgentEnv(), HOME: home },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      p.once('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r).toEqual({ code: 0, stdout: `${sshd.user}\n`, stderr: '' });
  });
});
