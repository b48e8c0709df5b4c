import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCore } from '../api/testing.ts';
import { decodeSecret } from '../core/connections/secret.ts';
import { cleanEnv, ok, runWarden, serveTestApi, type Run } from './testing.ts';

const run = promisify(execFile);

/** `warden connections create` for SSH targets: a vaulted private key (and passphrase) and configured host keys. */
let t: TestCore;
let close: () => Promise<void>;
let url: string;
let admin: string;
let dir: string;

const warden = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> =>
  runWarden(args, { env: cleanEnv({ WARDEN_URL: url, WARDEN_TOKEN: admin, WARDEN_CLI_CONFIG: '/nonexistent/cli.json', ...env }) });

beforeAll(async () => {
  ({ t, url, close } = await serveTestApi());
  admin = await t.userWithToken('root', 'admin');
  dir = mkdtempSync(join(tmpdir(), 'warden-cli-sshconn-'));
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pass phrase', '-f', join(dir, 'target')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')]);
});
afterAll(async () => {
  await close?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('warden connections create (ssh)', () => {
  it('seals a private key with its passphrase and stores host keys; never prints the key', async () => {
    const hostKey = readFileSync(join(dir, 'host.pub'), 'utf8').trim();
    const args = ['connections', 'create', 'box', '--type', 'ssh', '--host', '10.0.0.5', '--port', '22', '--username', 'deploy', '--private-key-file', join(dir, 'target'), '--passphrase-env', 'KEYPASS', '--host-key', hostKey];
    const created = ok(await warden(args, { KEYPASS: 'pass phrase' }));
    expect(created).toBe('created connection box → 10.0.0.5:22 (private key sealed)\n');
    const stored = (await t.core.connections.byName('box'))!;
    expect(decodeSecret(t.core.vault.open(stored.sealedSecret!))).toEqual({ privateKey: readFileSync(join(dir, 'target'), 'utf8'), passphrase: 'pass phrase' });
    expect(stored.hostKeys).toEqual([hostKey]);
    const show = ok(await warden(['connections', 'show', 'box']));
    expect(show).toContain(`host keys ${hostKey}`);
    expect(show).not.toContain('PRIVATE');
  });

  it('refuses a wrong passphrase and a malformed host key before storing anything', async () => {
    const base = ['connections', 'create', 'bad', '--type', 'ssh', '--host', 'h', '--port', '22', '--username', 'u'];
    const wrong = await warden([...base, '--private-key-file', join(dir, 'target'), '--passphrase-env', 'KEYPASS'], { KEYPASS: 'nope' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('cannot be read');
    const badHost = await warden([...base, '--password-env', 'PW', '--host-key', 'SHA256:short'], { PW: 'x' });
    expect(badHost.code).not.toBe(0);
    expect(badHost.stderr).toContain('neither an OpenSSH public key line nor a SHA256');
    expect(await t.core.connections.byName('bad')).toBeUndefined();
  });
});
