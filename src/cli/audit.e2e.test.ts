import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCore } from '../api/testing.ts';
import { issueToken } from '../core/identity/tokens.ts';
import { cleanEnv, ok, runWarden, serveTestApi, type Run } from './testing.ts';

/**
 * Self-service tokens (`warden tokens list|revoke` by their owner) and
 * `warden audit list`, through the real binary against a real API.
 */
let t: TestCore;
let app: FastifyInstance;
let url: string;
let admin: string;
let auditor: string;
let alice: string;
let aliceSpare: { token: string; id: string };

const warden = (args: string[], token: string): Promise<Run> =>
  runWarden(args, { env: cleanEnv({ WARDEN_URL: url, WARDEN_TOKEN: token, WARDEN_CLI_CONFIG: '/nonexistent/cli.json' }) });
const tokenId = (token: string) => /^wdn_(tok_[0-9a-z]+)_/.exec(token)![1]!;
const whoami = (token: string) => app.inject({ url: '/api/v1/whoami', headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  ({ t, app, url } = await serveTestApi());
  admin = await t.userWithToken('root', 'admin');
  auditor = await t.userWithToken('audrey', 'auditor');
  alice = await t.userWithToken('alice', 'user', ['dba']);
  const user = (await t.core.users.byName('alice'))!;
  const spare = await issueToken(t.core, user.id, { name: 'spare' });
  aliceSpare = { token: spare.token, id: spare.record.id };
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

describe('warden tokens (self-service)', () => {
  it('lists your own tokens without naming yourself, and refuses anyone else\'s', async () => {
    const mine = JSON.parse(ok(await warden(['tokens', 'list', '--json'], alice))) as { id: string; name: string }[];
    expect(mine.map((x) => x.name).sort()).toEqual(['spare', 'test']);
    const theirs = await warden(['tokens', 'list', 'root'], alice);
    expect(theirs.code).not.toBe(0);
    expect(theirs.stderr).toMatch(/no user named root whose tokens you may see/);
  });

  it("revokes your own token, and leaves someone else's alone", async () => {
    const other = await warden(['tokens', 'revoke', tokenId(admin)], alice);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/no token/);
    expect((await whoami(admin)).statusCode).toBe(200);

    expect(ok(await warden(['tokens', 'revoke', aliceSpare.id], alice))).toMatch(`revoked token ${aliceSpare.id}`);
    expect((await whoami(aliceSpare.token)).statusCode).toBe(401);
    expect((await whoami(alice)).statusCode).toBe(200);
  });
});

describe('warden audit list', () => {
  it('shows token and user changes to an auditor, filtered by type and actor', async () => {
    ok(await warden(['users', 'create', 'bob'], admin));
    const tokens = JSON.parse(ok(await warden(['audit', 'list', '--type', 'token', '--actor', 'alice', '--json'], auditor))) as { type: string; outcome: string; subject: string }[];
    expect(tokens).toContainEqual(expect.objectContaining({ type: 'token.revoked', outcome: 'success', subject: aliceSpare.id }));
    // The attempt on the admin's token is there too, as a failure.
    expect(tokens).toContainEqual(expect.objectContaining({ type: 'token.revoked', outcome: 'failure', subject: tokenId(admin) }));
    expect(tokens.every((e) => e.type.startsWith('token.'))).toBe(true);

    const text = ok(await warden(['audit', 'list', '--type', 'user', '--since', '1h'], auditor));
    expect(text).toMatch(/TIME\s+TYPE\s+OUTCOME\s+ACTOR\s+SUBJECT\s+DETAIL/);
    expect(text).toMatch(/user\.created\s+success\s+root\s+bob\s+route=POST \/api\/v1\/users status=201/);
    expect(ok(await warden(['audit', 'list', '--until', '2000-01-01T00:00:00Z', '--json'], auditor)).trim()).toBe('[]');
  });

  it('records refused tokens, and is refused to a plain user', async () => {
    const bad = await warden(['audit', 'list'], 'wdn_tok_0_garbled');
    expect(bad.code).not.toBe(0);
    const refused = await warden(['audit', 'list'], alice);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/auditor/);
    const logins = JSON.parse(ok(await warden(['audit', 'list', '--type', 'login.token', '--json'], auditor))) as { outcome: string; detail: { reason: string } }[];
    expect(logins).toContainEqual(expect.objectContaining({ outcome: 'failure', detail: { reason: 'malformed' } }));
  });
});
