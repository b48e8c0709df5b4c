import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCore } from '../api/testing.ts';
import { cleanEnv, ok, runWarden, serveTestApi, type Run } from './testing.ts';

const run = promisify(execFile);

/** `warden users keys add|list|remove` through the real binary against a real API on a free port. */
let t: TestCore;
let close: () => Promise<void>;
let url: string;
let admin: string;
let alice: string;
let dir: string;

const warden = (args: string[], token: string): Promise<Run> =>
  runWarden(args, { env: cleanEnv({ WARDEN_URL: url, WARDEN_TOKEN: token, WARDEN_CLI_CONFIG: '/nonexistent/cli.json' }) });

beforeAll(async () => {
  ({ t, url, close } = await serveTestApi());
  admin = await t.userWithToken('root', 'admin');
  alice = await t.userWithToken('alice', 'user');
  await t.userWithToken('bob', 'user');
  dir = mkdtempSync(join(tmpdir(), 'warden-cli-keys-'));
  await Promise.all(['a', 'b'].map((n) => run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${n}@laptop`, '-f', join(dir, n)])));
});
afterAll(async () => {
  await close?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('warden users keys', () => {
  it('adds, lists and removes the signed-in user\'s own keys', async () => {
    const added = JSON.parse(ok(await warden(['users', 'keys', 'add', join(dir, 'a.pub'), '--json'], alice))) as { id: string; fingerprint: string; name: string };
    expect(added).toMatchObject({ name: 'a@laptop', fingerprint: expect.stringMatching(/^SHA256:/) });
    const fp = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'a.pub')])).stdout.split(' ')[1];
    expect(added.fingerprint).toBe(fp);
    expect(ok(await warden(['users', 'keys', 'add', join(dir, 'b.pub'), '--name', 'desktop'], alice))).toMatch(/^added ssh-ed25519 key SHA256:\S+ \(desktop\) for alice\n$/);

    const listed = ok(await warden(['users', 'keys', 'list'], alice));
    expect(listed).toMatch(/^ID\s+NAME\s+TYPE\s+FINGERPRINT\s+ADDED\n/);
    expect(listed).toContain(added.fingerprint);
    expect(listed).toContain('desktop');

    // By fingerprint (it holds `/` and `+`, so the CLI sends the id) and by id.
    expect(ok(await warden(['users', 'keys', 'remove', added.fingerprint], alice))).toBe(`removed SSH key ${added.fingerprint} of alice\n`);
    const left = JSON.parse(ok(await warden(['users', 'keys', 'list', '--json'], alice))) as { id: string; name: string }[];
    expect(left.map((k) => k.name)).toEqual(['desktop']);
    ok(await warden(['users', 'keys', 'remove', left[0]!.id], alice));
    expect(JSON.parse(ok(await warden(['users', 'keys', 'list', '--json'], alice)))).toEqual([]);
  });

  it('an admin manages anyone\'s keys; a user cannot touch another user\'s', async () => {
    ok(await warden(['users', 'keys', 'add', join(dir, 'a.pub'), '--user', 'bob'], admin));
    const denied = await warden(['users', 'keys', 'list', '--user', 'bob'], alice);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("only bob or an admin manages bob's SSH keys");
    // The same key cannot be registered twice, to anyone.
    const twice = await warden(['users', 'keys', 'add', join(dir, 'a.pub')], alice);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('already registered');
    expect(JSON.parse(ok(await warden(['users', 'keys', 'list', '--user', 'bob', '--json'], admin)))).toHaveLength(1);
  });

  it('refuses to send a private key', async () => {
    const r = await warden(['users', 'keys', 'add', join(dir, 'b')], alice);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('PRIVATE key');
    expect(readFileSync(join(dir, 'b'), 'utf8')).toContain('PRIVATE KEY');
  });
});
