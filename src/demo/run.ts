import { pino } from 'pino';
import { validateConfig } from '../config/load.ts';
import { issueToken } from '../core/identity/index.ts';
import { newId } from '../core/ids.ts';
import type { Role } from '../core/identity/types.ts';
import type { CoreServices } from '../core/services.ts';
import { startGateway } from '../gateway.ts';
import { seedDemo } from './seed.ts';
import { startDemoTarget } from './target.ts';
import { demoRules } from './policy.ts';

export interface RunningDemo {
  psqlUrl: string;
  apiUrl: string;
  user: string;
  userToken: string;
  adminToken: string;
  banner(cliConfig?: string): string;
  stop(): Promise<void>;
}

const demoTokenTtlMs = 12 * 3600 * 1000;

/**
 * Starts the embedded target, seeds it, and puts a gateway in front of it
 * with the demo's users, connection and policy. Used by `warden demo`.
 */
export async function startDemo(opts: { dataDir: string; pgPort: number; apiPort: number }): Promise<RunningDemo> {
  const target = await startDemoTarget({ port: 0 });
  try {
    await seedDemo(target.exec);
    const config = validateConfig(
      // The demo's people are local users with admin-issued tokens: always on here, whatever a config would say.
      { dataDir: opts.dataDir, logLevel: 'warn', identity: { localUsers: true }, listeners: { postgres: { port: opts.pgPort }, api: { port: opts.apiPort } }, policy: { rules: demoRules() } },
      'demo configuration',
    );
    const gw = await startGateway(config, { logger: pino({ level: 'warn' }, pino.destination({ fd: 2, sync: false })) });
    const { core } = gw;
    const adminToken = await tokenFor(core, 'demo-admin', 'admin', ['warden-admins']);
    const userToken = await tokenFor(core, 'alice', 'user', ['analysts']);
    const existing = await core.connections.byName('demo');
    const where = { host: target.host, port: target.port, database: target.database, username: target.user };
    if (existing) await core.connections.update('demo', where);
    else await core.connections.create({ id: newId('con'), name: 'demo', type: 'postgres', ...where, sealedSecret: null, tls: 'disable', tags: ['demo', 'pii'], agent: null, createdAt: new Date() });

    const pg = gw.addresses.postgres!;
    const api = gw.addresses.api!;
    const psqlUrl = `postgresql://alice:${userToken}@${pg.host}:${pg.port}/demo?sslmode=require`;
    const apiUrl = `http://${api.host}:${api.port}`;
    return {
      psqlUrl,
      apiUrl,
      user: 'alice',
      userToken,
      adminToken,
      banner: (cliConfig) => banner({ psqlUrl, apiUrl, cliConfig }),
      async stop() {
        await gw.stop();
        await target.stop();
      },
    };
  } catch (err) {
    await target.stop();
    throw err;
  }
}

async function tokenFor(core: CoreServices, name: string, role: Role, groups: string[]): Promise<string> {
  const user = (await core.users.byName(name)) ?? (await core.users.create({ id: newId('usr'), name, role, groups, createdAt: new Date() }));
  return (await issueToken(core, user.id, { name: 'demo', ttlMs: demoTokenTtlMs })).token;
}

function banner(o: { psqlUrl: string; apiUrl: string; cliConfig: string | undefined }): string {
  return [
    '',
    'Warden demo is running: an embedded PostgreSQL full of fake PII, behind the gateway.',
    '',
    '  Connect as alice (an analyst) with psql:',
    '',
    `    psql '${o.psqlUrl}'`,
    '',
    '  Then try:',
    '    select full_name, email, phone, national_id from customers limit 5;   -- PII masked',
    '    select card_number, amount from payments limit 5;                      -- cards masked',
    '    drop table payments;                                                   -- blocked by policy',
    '    delete from payments where id = 42;                                    -- opens a review',
    '',
    `  API:  ${o.apiUrl}   (OpenAPI: ${o.apiUrl}/openapi.json, metrics: ${o.apiUrl}/metrics)`,
    o.cliConfig
      ? `  CLI:  signed in as demo-admin (${o.cliConfig}); try \`npx warden sessions list\`, \`npx warden reviews list\`,\n        \`npx warden reviews approve R-1\` (then run the DELETE again)`
      : '  CLI:  not signed in (--no-login)',
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}
