import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { Role } from '../core/identity/types.ts';
import type { Access } from './auth.ts';
import { buildApi } from './server.ts';
import { createTestCore } from './testing.ts';

type Method = NonNullable<InjectOptions['method']>;

/**
 * Roles on every API route. The route table is read from the live Fastify
 * instance, so a route added without an entry below fails here until someone
 * decides who may call it. Each route gets its own test: the roles below its
 * level get 403, no token (or a garbled one) gets 401, the allowed roles get
 * past the gate (any status but 401/403; the placeholder ids mostly 404).
 *
 * Approvers are not a role: anyone signed in reaches the review routes, and
 * core/review decides by group who may approve (see routes/reviews.test.ts).
 */
const expected: Record<string, Access> = {
  'GET /healthz': 'public',
  'GET /metrics': 'public',
  'GET /openapi.json': 'public',
  'POST /api/v1/auth/device': 'public',
  'POST /api/v1/auth/device/poll': 'public',
  'GET /api/v1/auth/saml/login': 'public',
  'POST /api/v1/auth/saml/acs': 'public',
  'GET /auth/oidc/login': 'public',
  'GET /auth/oidc/callback': 'public',
  'POST /auth/logout': 'public',
  // Web pages: public at the gate; the page sends a browser without a session to sign in.
  'GET /reviews/:id': 'public',
  'POST /reviews/:id/decision': 'public',
  'GET /api/v1/auth/saml/metadata': 'public',

  'GET /api/v1/whoami': 'any',
  'GET /api/v1/reviews': 'any',
  'GET /api/v1/reviews/inbox': 'any',
  'GET /api/v1/reviews/:id': 'any',
  'POST /api/v1/reviews/:id/approve': 'any',
  'POST /api/v1/reviews/:id/deny': 'any',
  'POST /api/v1/reviews/:id/force-approve': 'any',
  'POST /api/v1/access-requests': 'any',
  // Self-service: anyone lists and revokes their own tokens; others' answer 404 (see "own tokens" below).
  'GET /api/v1/users/:name/tokens': 'any',
  'DELETE /api/v1/tokens/:id': 'any',
  'GET /api/v1/users/:name/ssh-keys': 'any',
  'POST /api/v1/users/:name/ssh-keys': 'any',
  'DELETE /api/v1/users/:name/ssh-keys/:key': 'any',

  'GET /api/v1/sessions': 'read',
  'GET /api/v1/sessions/:id': 'read',
  'GET /api/v1/sessions/:id/events': 'read',
  'GET /api/v1/sessions/:id/cast': 'read',
  'GET /api/v1/policy': 'read',
  'POST /api/v1/policy/test': 'read',
  'GET /api/v1/audit': 'read',

  'DELETE /api/v1/sessions/:id': 'admin',
  'PUT /api/v1/policy': 'admin',
  'GET /api/v1/users': 'admin',
  'POST /api/v1/users': 'admin',
  'GET /api/v1/users/:name': 'admin',
  'PATCH /api/v1/users/:name': 'admin',
  'DELETE /api/v1/users/:name': 'admin',
  'POST /api/v1/users/:name/tokens': 'admin',
  'GET /api/v1/connections': 'admin',
  'POST /api/v1/connections': 'admin',
  'GET /api/v1/connections/:name': 'admin',
  'PATCH /api/v1/connections/:name': 'admin',
  'DELETE /api/v1/connections/:name': 'admin',
};

/** Fastify answers HEAD for every GET, through the same route options (and so the same gate). */
const withHead = (table: Record<string, Access>): Record<string, Access> => ({
  ...table,
  ...Object.fromEntries(Object.entries(table).flatMap(([k, v]) => (k.startsWith('GET ') ? [[`HEAD ${k.slice(4)}`, v]] : []))),
});

/** Which roles get past each level's gate. */
const allowed: Record<Access, readonly Role[]> = {
  public: ['admin', 'auditor', 'user'],
  any: ['admin', 'auditor', 'user'],
  read: ['admin', 'auditor'],
  admin: ['admin'],
};

/**
 * Every method + url the instance serves, from `printRoutes({ commonPrefix: false })`:
 * one node per line, four columns per tree level, methods in parentheses.
 */
function listRoutes(app: FastifyInstance): { method: Method; url: string }[] {
  const parents: string[] = [];
  const out: { method: Method; url: string }[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const at = line.indexOf('── ');
    if (at < 0) continue;
    const depth = (at - 1) / 4;
    const m = /^(\S+?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(at + 3).trim());
    if (!m || !Number.isInteger(depth) || depth > parents.length) throw new Error(`cannot read route line: ${JSON.stringify(line)}`);
    const url = (depth === 0 ? '' : parents[depth - 1]!) + m[1]!;
    parents.length = depth;
    parents.push(url);
    for (const method of m[2]?.split(', ') ?? []) out.push({ method: method as Method, url });
  }
  return out;
}

// Built at collection time so that each route becomes its own test.
const t = await createTestCore();
const app = await buildApi(t.core);
await app.ready();
const tokens: Record<Role, string> = {
  admin: await t.userWithToken('root', 'admin'),
  auditor: await t.userWithToken('audrey', 'auditor'),
  user: await t.userWithToken('ursula', 'user', ['dba']),
};
const routes = listRoutes(app);
const table = withHead(expected);

afterAll(async () => {
  await app.close();
  await t.close();
});

async function status(method: Method, url: string, token: string | undefined): Promise<number> {
  const res = await app.inject({ method, url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return res.statusCode;
}

describe('the route table', () => {
  it('has an access level written down for every route, and no stale entries', () => {
    const served = routes.map((r) => `${r.method} ${r.url}`).sort();
    expect(served.length).toBeGreaterThan(20);
    expect(served).toEqual(Object.keys(table).sort());
  });
});

describe('each route', () => {
  for (const { method, url } of routes) {
    const level = table[`${method} ${url}`];
    // Fill path parameters with an id that exists nowhere: the gate runs before any lookup.
    const path = url.replace(/:[A-Za-z_]+/g, 'nope');

    it(`${method} ${url} is gated at its expected level`, async () => {
      expect(level, `${method} ${url} is not in roles.test.ts: decide its access level and add it`).toBeDefined();
      if (level === 'public') {
        expect([401, 403]).not.toContain(await status(method, path, undefined));
      } else {
        expect(await status(method, path, undefined)).toBe(401);
        expect(await status(method, path, 'wdn_tok_garbled')).toBe(401);
      }
      for (const role of ['user', 'auditor', 'admin'] as const) {
        const code = await status(method, path, tokens[role]);
        if (allowed[level!].includes(role)) expect([401, 403], `${role} should pass the gate`).not.toContain(code);
        else expect(code, `${role} must be refused`).toBe(403);
      }
    });
  }
});

describe('own tokens (self-service)', () => {
  const tokenId = (token: string) => /^wdn_(tok_[0-9a-z]+)_/.exec(token)![1]!;
  const call = (method: Method, url: string, token: string) => app.inject({ method, url, headers: { authorization: `Bearer ${token}` } });

  it('lets a user list and revoke their own tokens, and answers 404 for anyone else\'s', async () => {
    const selma = await t.userWithToken('selma', 'user');
    const spare = await t.userWithToken('sam', 'user');
    const mine = await call('GET', '/api/v1/users/selma/tokens', selma);
    expect(mine.statusCode).toBe(200);
    expect(mine.json().map((x: { id: string }) => x.id)).toEqual([tokenId(selma)]);

    // Someone else's tokens: not listed, not revoked, and indistinguishable from a user or token that does not exist.
    expect((await call('GET', '/api/v1/users/sam/tokens', selma)).statusCode).toBe(404);
    expect((await call('DELETE', `/api/v1/tokens/${tokenId(spare)}`, selma)).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/whoami', spare)).statusCode).toBe(200);

    // An admin may do both for anyone.
    expect((await call('GET', '/api/v1/users/sam/tokens', tokens.admin)).json()).toHaveLength(1);

    expect((await call('DELETE', `/api/v1/tokens/${tokenId(selma)}`, selma)).statusCode).toBe(204);
    expect((await call('GET', '/api/v1/whoami', selma)).statusCode).toBe(401);
  });
});
