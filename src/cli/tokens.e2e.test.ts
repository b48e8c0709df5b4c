import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCore } from '../api/testing.ts';
import { machineGroup } from '../core/identity/machine.ts';
import { newId } from '../core/ids.ts';
import { cleanEnv, ok, runWarden, serveTestApi, type Run } from './testing.ts';

/**
 * `warden tokens create|list|revoke` through the real binary against a real
 * API on a free port: person tokens (12 h by default) and machine tokens for
 * users in the `machine` group (no expiry unless --ttl).
 */
let t: TestCore;
let app: FastifyInstance;
let url: string;
let admin: string;
let alice: string;

const warden = (args: string[], token = admin): Promise<Run> =>
  runWarden(args, { env: cleanEnv({ WARDEN_URL: url, WARDEN_TOKEN: token, WARDEN_CLI_CONFIG: '/nonexistent/cli.json' }) });
const whoami = (token: string) => app.inject({ url: '/api/v1/whoami', headers: { authorization: `Bearer ${token}` } });
const lifetime = (r: { createdAt: string; expiresAt: string | null }) => (r.expiresAt === null ? null : Date.parse(r.expiresAt) - Date.parse(r.createdAt));

beforeAll(async () => {
  ({ t, app, url } = await serveTestApi());
  admin = await t.userWithToken('root', 'admin');
  alice = await t.userWithToken('alice', 'user', ['dba']);
  await t.core.users.create({ id: newId('usr'), name: 'ci-deploy', role: 'user', groups: [machineGroup, 'deploy'], createdAt: new Date() });
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

describe('warden tokens', () => {
  it('issues, lists and revokes a machine token that carries the machine identity and its groups', async () => {
    const [machine, short, text] = await Promise.all([
      warden(['tokens', 'create', 'ci-deploy', '--name', 'ci', '--machine', '--json']),
      warden(['tokens', 'create', 'ci-deploy', '--name', 'nightly', '--machine', '--ttl', '1h', '--json']),
      warden(['tokens', 'create', 'ci-deploy', '--name', 'agent', '--machine']),
    ]);
    const { token, record } = JSON.parse(ok(machine));
    expect(record).toMatchObject({ name: 'ci', expiresAt: null, revokedAt: null, lastUsedAt: null });
    expect(lifetime(JSON.parse(ok(short)).record)).toBe(3_600_000);
    expect(ok(text)).toMatch(/^wdn_tok_\S+\n\nmachine token tok_\S+ for ci-deploy, never expires: revoke it when the job is gone\.\n/);

    const me = await whoami(token);
    expect(me.statusCode).toBe(200);
    expect(me.json().user).toMatchObject({ name: 'ci-deploy', role: 'user', groups: [machineGroup, 'deploy'] });

    const listed = ok(await warden(['tokens', 'list', 'ci-deploy']));
    expect(listed).toMatch(/^ID\s+NAME\s+CREATED\s+EXPIRES\s+LAST USED\s+REVOKED\n/);
    expect(listed).toMatch(new RegExp(`${record.id}\\s+ci\\s+\\S+ \\S+Z\\s+never\\s+\\S+ \\S+Z\\s+-\\n`));
    expect(listed).toMatch(/nightly\s+\S+ \S+Z\s+\d{4}-\S+ \S+Z/);
    expect(listed).not.toContain(token);

    expect(ok(await warden(['tokens', 'revoke', record.id]))).toBe(`revoked token ${record.id}\n`);
    expect((await whoami(token)).statusCode).toBe(401);
    const after = JSON.parse(ok(await warden(['tokens', 'list', 'ci-deploy', '--json']))) as { id: string; revokedAt: string | null; lastUsedAt: string | null }[];
    expect(after.find((r) => r.id === record.id)).toMatchObject({ revokedAt: expect.any(String), lastUsedAt: expect.any(String) });
  });

  it("gives a person's token 12 hours by default and refuses them a machine token", async () => {
    const [person, refused] = await Promise.all([
      warden(['tokens', 'create', 'alice', '--name', 'laptop', '--json']),
      warden(['tokens', 'create', 'alice', '--name', 'ci', '--machine']),
    ]);
    expect(lifetime(JSON.parse(ok(person)).record)).toBe(12 * 60 * 60_000);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^warden: user alice is not a machine identity, so it cannot hold a token that never expires; create one for the job \(`warden users create ci-deploy --group machine/);
    expect((await t.core.tokens.listForUser((await t.core.users.byName('alice'))!.id)).map((r) => r.name).sort()).toEqual(['laptop', 'test']);
  });

  it('leaves token management to admins', async () => {
    const r = await warden(['tokens', 'create', 'ci-deploy', '--machine'], alice);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs the admin role and user alice is user/);
    const missing = await warden(['tokens', 'revoke', 'tok_nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no token tok_nope');
  });
});
