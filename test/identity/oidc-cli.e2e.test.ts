import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';
import { confirmDeviceCode } from './browser.ts';
import { startTestIdp, type TestIdp } from './idp.ts';

// The real `warden login --oidc` process: it prints the URL and code, a scripted browser confirms
// them at a real IdP, and the CLI saves the Warden token in its 0600 config file.
const bin = resolve(import.meta.dirname, '../../bin/warden.mjs');
let idp: TestIdp;
let t: TestGateway;
let home: string;

beforeAll(async () => {
  idp = await startTestIdp();
  idp.accounts.set('dave', { groups: ['eng-dba'] });
  t = await startTestGateway({ config: { identity: { oidc: { issuer: idp.issuer, clientId: 'warden-public', groupMap: { 'eng-dba': ['dba'] } } } } });
  home = mkdtempSync(join(tmpdir(), 'warden-cli-oidc-'));
});
afterAll(async () => {
  await t?.stop();
  await idp?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('warden login --oidc', () => {
  it('prints the URL and code, waits for the browser, and stores a working token 0600', async () => {
    const configFile = join(home, 'conf', 'cli.json');
    const child = spawn(process.execPath, [bin, 'login', '--url', t.apiUrl, '--oidc'], {
      env: { PATH: process.env.PATH, HOME: home, WARDEN_CLI_CONFIG: configFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', res));
    const shown = await new Promise<{ url: string; code: string }>((res, rej) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const url = /open (\S+)/.exec(stdout)?.[1];
        const code = /code: (\S+)/.exec(stdout)?.[1];
        if (url && code) res({ url, code });
      });
      void exited.then(() => rej(new Error(`login exited early: ${stdout} ${stderr}`)));
    });
    await confirmDeviceCode(shown.url, { user_code: shown.code, login: 'dave' });
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/logged in to .* as dave \(user\)/);
    expect((await stat(configFile)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(configFile, 'utf8')) as { url: string; token: string };
    expect(saved.url).toBe(t.apiUrl);
    const me = await fetch(`${t.apiUrl}/api/v1/whoami`, { headers: { authorization: `Bearer ${saved.token}` } });
    expect(((await me.json()) as { user: { name: string; groups: string[] } }).user).toMatchObject({ name: 'dave', groups: ['dba'] });
  }, 30_000);
});

describe('device sign-in API errors', () => {
  it('404 when OIDC is not configured, 502 with the reason when the IdP is down', async () => {
    const plain = await startTestGateway();
    const deadIdp = await startTestGateway({ config: { identity: { oidc: { issuer: `http://127.0.0.1:${await freePort()}`, clientId: 'x' } } } });
    try {
      const a = await fetch(`${plain.apiUrl}/api/v1/auth/device`, { method: 'POST' });
      expect(a.status).toBe(404);
      expect(await a.json()).toMatchObject({ error: 'not_found', message: expect.stringMatching(/identity\.oidc/) });
      const b = await fetch(`${deadIdp.apiUrl}/api/v1/auth/device`, { method: 'POST' });
      expect(b.status).toBe(502);
      expect(await b.json()).toMatchObject({ error: 'upstream_unavailable', message: expect.stringMatching(/cannot reach the identity provider/) });
    } finally {
      await plain.stop();
      await deadIdp.stop();
    }
  });
});
