import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCore } from '../api/testing.ts';
import { newId } from '../core/ids.ts';
import { cleanEnv, ok, runWarden, serveTestApi, type Run } from './testing.ts';

/** The real `warden policy` commands against a real API on a free port over a temp SQLite store. */
let t: TestCore;
let app: FastifyInstance;
let home: string;
let env: NodeJS.ProcessEnv;

const warden = (args: string[], stdin = ''): Promise<Run> => runWarden(args, { env, stdin });

beforeAll(async () => {
  let url: string;
  ({ t, app, url } = await serveTestApi());
  const admin = await t.userWithToken('root', 'admin');
  await t.core.users.create({ id: newId('usr'), name: 'alice', role: 'user', groups: ['dev'], createdAt: new Date() });
  await t.core.connections.create({
    id: newId('con'), name: 'prod-pg', type: 'postgres', host: 'db', port: 5432, database: 'app', username: 'app',
    sealedSecret: null, tls: 'disable', tags: ['prod'], agent: null, createdAt: new Date(),
  });
  home = await mkdtemp(join(tmpdir(), 'warden-cli-policy-'));
  env = cleanEnv({ HOME: home, WARDEN_CLI_CONFIG: join(home, 'cli.json'), WARDEN_URL: url, WARDEN_TOKEN: admin });
});
afterAll(async () => {
  await app?.close();
  await t?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('warden policy', () => {
  it('applies a rules file, rejects a bad one whole, shows and tests', async () => {
    const good = join(home, 'rules.yaml');
    const bad = join(home, 'bad.yaml');
    await writeFile(good, 'rules:\n  - id: no-deletes-on-prod\n    match: { tags: [prod], kinds: [DeleteStmt] }\n    effect: block\n    message: no deletes on production\n');
    await writeFile(bad, 'rules:\n  - id: fine\n    effect: allow\n  - id: oops\n    effect: block\n    mesage: typo\n');

    expect(ok(await warden(['policy', 'apply', '-f', good]))).toBe(`applied 1 rule from ${good} (policy version 1)\n`);
    const rejected = await warden(['policy', 'apply', '-f', bad]);
    expect(rejected.code).toBe(1);
    expect(rejected.stdout).toBe('');
    expect(rejected.stderr).toMatch(/^warden: rules file line 6 \(rule "oops"\): .*mesage.*none of its rules were applied\.\n$/);

    const [del, sel, json, show, yaml] = await Promise.all([
      warden(['policy', 'test', '--user', 'alice', '--connection', 'prod-pg', 'DELETE FROM t']),
      warden(['policy', 'test', '--user', 'alice', '--connection', 'prod-pg', 'select * from t']),
      warden(['policy', 'test', '--user', 'alice', '--connection', 'prod-pg', '--group', 'ops', '--json', 'DROP TABLE t']),
      warden(['policy', 'show']),
      warden(['policy', 'show', '--yaml']),
    ]);
    // A block is an answer, not an error: exit code 0.
    expect(ok(del)).toMatch(/^block {2}\(rule no-deletes-on-prod: DeleteStmt \(write\) on t: /);
    expect(del.stdout).toContain('message: blocked by policy rule "no-deletes-on-prod": no deletes on production');
    expect(del.stdout).toMatch(/statement 1: write · DeleteStmt · on t · without WHERE/);
    expect(del.stdout).toMatch(/judged for alice \[dev\] on prod-pg \[prod\]/);
    expect(ok(sel)).toMatch(/^allow {2}\(rule default:allow-read: /);
    expect(JSON.parse(ok(json))).toMatchObject({
      effect: 'block',
      rules: [{ id: 'default:block-destructive' }],
      statements: [{ class: 'ddl', kind: 'DropStmt', tables: ['t'] }],
      subject: { groups: ['ops'] },
    });
    expect(ok(show)).toMatch(/applied {5}version 1 by root/);
    expect(show.stdout).toMatch(/no-deletes-on-prod\s+applied\s+block\s+tags=prod kinds=DeleteStmt/);
    expect(ok(yaml)).toBe(await readFile(good, 'utf8'));

    const unknown = await warden(['policy', 'test', '--user', 'alice', '--connection', 'nope', '--at', 'soon', 'SELECT 1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^warden: body\.at: /);
  });
});
