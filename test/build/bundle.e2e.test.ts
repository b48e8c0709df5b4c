import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../agent/gateway-process.ts';

const root = resolve(import.meta.dirname, '../..');

// The bundle `npm ci` builds (scripts/build.mjs, run as `prepare`) is what `warden` runs. It is
// built here into a directory of its own (never the shared dist/), started as a gateway, and
// driven through the pg driver. The gateway reports every package it loads (a resolve hook), so
// the test also holds the memory work to account: a PostgreSQL-only gateway must not load what
// only SSH, MySQL, SAML, OIDC or e-mail need.
describe('the bundled gateway (scripts/build.mjs)', () => {
  const out = join(root, `.bundle-test-${process.pid}`);
  const hook = join(out, 'report-packages.mjs');
  let gw: GatewayProcess;

  beforeAll(async () => {
    await promisify(execFile)(process.execPath, [join(root, 'scripts/build.mjs'), '--outdir', out]);
    writeFileSync(
      hook,
      [
        "import { register } from 'node:module';",
        "register('data:text/javascript,' + encodeURIComponent(`export async function resolve(s, c, next) {",
        "  if (!/^(\\\\.|node:|file:|data:)/.test(s)) process._rawDebug('loads-package ' + s);",
        '  return next(s, c);',
        '}`));',
      ].join('\n'),
    );
    gw = await startGatewayProcess({ listeners: { postgres: { port: 0 }, api: { port: 0 }, mysql: { enabled: false }, ssh: { enabled: false } } }, {}, { entry: join(out, 'warden.mjs'), nodeArgs: ['--import', hook] });
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  const api = async (path: string, body: unknown) => {
    const res = await fetch(`${gw.apiUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${gw.bootstrapToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    return (await res.json()) as Record<string, unknown>;
  };

  it('serves a PostgreSQL session end to end, then reports its version', async () => {
    await api('/api/v1/connections', { name: 'pg', type: 'postgres', host: '127.0.0.1', port: 5432, database: 'test', username: 'postgres', tls: 'disable' });
    await api('/api/v1/users', { name: 'bob', role: 'user' });
    const { token } = (await api('/api/v1/users/bob/tokens', { name: 't' })) as { token: string };
    const c = new pg.Client({ host: '127.0.0.1', port: gw.pgPort, user: 'bob', password: token, database: 'pg' });
    await c.connect();
    try {
      expect((await c.query('select 40 + 2 as n')).rows).toEqual([{ n: 42 }]);
    } finally {
      await c.end();
    }
    const version = await promisify(execFile)(process.execPath, [join(out, 'warden.mjs'), '--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('loads no package that only SSH, MySQL, SAML, OIDC, e-mail, the demo or the first start need', () => {
    const loaded = new Set([...gw.log().matchAll(/^loads-package (\S+)$/gm)].map((m) => m[1]));
    // Sanity: the hook works and the PostgreSQL path really ran. The first start's certificate is made
    // in a child process (src/transport/tls.ts): its generator never loads in the gateway.
    expect(loaded.has('libpg-query')).toBe(true);
    expect(loaded.has('fastify')).toBe(true);
    for (const heavy of ['ssh2', 'mvdan-sh', 'node-sql-parser/build/mysql.js', '@node-saml/node-saml', 'openid-client', 'nodemailer', '@electric-sql/pglite', 'pg', 'selfsigned', 'node-forge']) {
      expect(loaded.has(heavy), `${heavy} was loaded`).toBe(false);
    }
  });
});
