import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCore } from '../api/testing.ts';
import { newId } from '../core/ids.ts';
import { createVault, loadMasterKey, parseMasterKey } from '../core/vault/index.ts';
import { openStore } from '../store/index.ts';
import { cleanEnv, ok, runWarden, serveTestApi, wardenBin as bin, type Run } from './testing.ts';

/**
 * The real `warden` binary (bin/warden.mjs through tsx) against a real API on
 * a free port over a temp SQLite store. Each spawn costs about a second, so
 * independent commands run side by side.
 */
let t: TestCore;
let app: FastifyInstance;
let url: string;
let admin: string;
let home: string;
let env: NodeJS.ProcessEnv;

const warden = (args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> =>
  runWarden(args, { env: { ...env, ...opts.env }, ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }) });

beforeAll(async () => {
  ({ t, app, url } = await serveTestApi());
  admin = await t.userWithToken('root', 'admin');
  home = await mkdtemp(join(tmpdir(), 'warden-cli-'));
  env = cleanEnv({ HOME: home, WARDEN_CLI_CONFIG: join(home, 'conf', 'cli.json') });
});
afterAll(async () => {
  await app?.close();
  await t?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('warden CLI against a live API', () => {
  it('logs in from stdin, manages users, tokens, connections and reads sessions', async () => {
    const sessionId = newId('ses');
    await t.core.sessions.start({ id: sessionId, userId: 'usr_x', userName: 'ursula', connectionName: 'prod', protocol: 'postgres', clientAddress: '10.0.0.7:5555', startedAt: new Date() });
    const rec = t.core.recordings.open(sessionId);
    rec.append({ type: 'statement', at: new Date().toISOString(), seq: 1, text: 'select email from customers', durationMs: 2.5, commandTag: 'SELECT 2', columns: ['email'], rows: [['a@example.com'], ['b@example.com']], rowCount: 2, rowsTruncated: false });
    rec.append({ type: 'statement', at: new Date().toISOString(), seq: 2, text: 'select nope', durationMs: 0.4, rowCount: 0, rowsTruncated: false, error: { code: '42703', message: 'column "nope" does not exist' } });
    await rec.close();

    const bad = await warden(['login', '--url', url], { stdin: 'wrong-token\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).not.toMatch(/\bat .*\.ts:\d+/);

    expect(ok(await warden(['login', '--url', url], { stdin: `${admin}\n` }))).toContain('as root (admin)');
    expect((await stat(env.WARDEN_CLI_CONFIG!)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'conf'))).mode & 0o777).toBe(0o700);

    const password = `pw-${randomBytes(8).toString('hex')}`;
    const [created, conn, sessionsJson, missing] = await Promise.all([
      warden(['users', 'create', 'alice', '--group', 'dba', '--group', 'dev', '--json']),
      warden(['connections', 'create', 'prod', '--host', '127.0.0.1', '--port', '5432', '--database', 'test', '--username', 'postgres', '--password-env', 'PGPW', '--tag', 'pii'], { env: { PGPW: password } }),
      warden(['sessions', 'list', '--json']),
      warden(['users', 'delete', 'nobody']),
    ]);
    expect(JSON.parse(ok(created))).toMatchObject({ name: 'alice', role: 'user', groups: ['dba', 'dev'] });
    expect(ok(conn)).toContain('password sealed');
    expect(t.core.vault.open((await t.core.connections.byName('prod'))!.sealedSecret!)).toBe(password);
    expect(JSON.parse(ok(sessionsJson))).toEqual([expect.objectContaining({ id: sessionId, userName: 'ursula' })]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('warden: no user named nobody; see `warden users list`\n');

    const exportFile = join(home, 'export.jsonl');
    const [users, issued, conns, connJson, show, exported, piped] = await Promise.all([
      warden(['users', 'list']),
      warden(['tokens', 'create', 'alice', '--name', 'ci', '--ttl', '12h', '--json']),
      warden(['connections', 'list']),
      warden(['connections', 'show', 'prod', '--json']),
      warden(['sessions', 'show', sessionId]),
      warden(['sessions', 'export', sessionId, '-o', exportFile]),
      warden(['sessions', 'export', sessionId]),
    ]);
    expect(ok(users)).toMatch(/^NAME\s+ROLE\s+GROUPS/);
    expect(users.stdout).toMatch(/alice\s+user\s+dba,dev/);
    const { token, record } = JSON.parse(ok(issued));
    expect(record.expiresAt).not.toBeNull();
    expect((await app.inject({ url: '/api/v1/whoami', headers: { authorization: `Bearer ${token}` } })).json().user.name).toBe('alice');
    expect(ok(conns)).toMatch(/prod\s+postgres\s+127\.0\.0\.1:5432\s+test\s+postgres\s+prefer\s+sealed\s+pii/);
    expect(JSON.parse(ok(connJson))).toMatchObject({ name: 'prod', hasSecret: true });
    for (const out of [conn.stdout, conns.stdout, connJson.stdout]) expect(out).not.toContain(password);
    expect(ok(show)).toContain('connection  prod (postgres) from 10.0.0.7:5555');
    expect(show.stdout).toContain('#1  select email from customers');
    expect(show.stdout).toMatch(/email\n\s+a@example\.com\n\s+b@example\.com/);
    expect(show.stdout).toContain('ERROR 42703: column "nope" does not exist');
    expect(exported.code).toBe(0);
    const lines = (await readFile(exportFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.seq)).toEqual([1, 2]);
    expect(ok(piped)).toBe(await readFile(exportFile, 'utf8'));

    const [listed, revoked] = [await warden(['tokens', 'list', 'alice', '--json']), await warden(['tokens', 'revoke', record.id])];
    expect(JSON.parse(ok(listed))).toEqual([expect.objectContaining({ id: record.id, name: 'ci' })]);
    expect(listed.stdout).not.toContain(token);
    expect(ok(revoked)).toContain(`revoked token ${record.id}`);
    expect((await app.inject({ url: '/api/v1/whoami', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);

    expect(ok(await warden(['logout']))).toContain('logged out');
    const after = await warden(['users', 'list']);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/^warden: not logged in/);
  });

  it('runs the gateway, hands out the bootstrap token, and stops cleanly on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'warden-gw-'));
    const gw = spawn(process.execPath, [bin, 'gateway', '--data-dir', dataDir, '--pg-port', '0', '--api-port', '0', '--log-level', 'warn', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const exited = new Promise<number | null>((resolve) => gw.on('exit', (code) => resolve(code)));
      const ready = await new Promise<{ api: string; postgres: { port: number }; bootstrapToken: string }>((resolve, reject) => {
        let buf = '';
        gw.stdout.on('data', (d: Buffer) => {
          buf += d;
          for (const line of buf.split('\n')) {
            if (line.startsWith('{') && line.includes('"api"')) resolve(JSON.parse(line));
          }
        });
        gw.on('exit', (code) => reject(new Error(`gateway exited early (${code})`)));
      });
      expect(ready.postgres.port).toBeGreaterThan(0);
      const login = await warden(['login', '--url', ready.api, '--json'], { env: { WARDEN_TOKEN: ready.bootstrapToken, WARDEN_CLI_CONFIG: join(dataDir, 'cli.json') } });
      expect(JSON.parse(ok(login)).user.role).toBe('admin');
      gw.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (gw.exitCode === null) gw.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('rotates the vault key of a stopped gateway without losing a secret', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'warden-rotate-'));
    try {
      const keyFile = join(dataDir, 'master.key');
      const oldKey = await loadMasterKey({ env: {}, keyFile });
      const store = await openStore({ url: '', sqlitePath: join(dataDir, 'warden.db'), pgSchema: 'warden' });
      const sealed = createVault(oldKey).seal('target-password');
      await store.connections.create({ id: 'con_1', name: 'db', type: 'postgres', host: 'h', port: 1, database: null, username: 'u', sealedSecret: sealed, tls: 'disable', tags: [], agent: null, createdAt: new Date() });
      await store.close();

      const r = await warden(['vault', 'rotate-key', '--data-dir', dataDir, '--json']);
      expect(JSON.parse(ok(r))).toMatchObject({ resealed: 1, keyFile });
      const newKey = parseMasterKey(await readFile(keyFile, 'utf8'), keyFile);
      expect(newKey.equals(oldKey)).toBe(false);
      expect(parseMasterKey(await readFile(join(dataDir, 'master.key.old'), 'utf8'), 'old').equals(oldKey)).toBe(true);
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
      const reopened = await openStore({ url: '', sqlitePath: join(dataDir, 'warden.db'), pgSchema: 'warden' });
      const c = await reopened.connections.byName('db');
      await reopened.close();
      expect(createVault(newKey).open(c!.sealedSecret!)).toBe('target-password');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
