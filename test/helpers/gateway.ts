import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/load.ts';
import { issueToken } from '../../src/core/identity/index.ts';
import { newId } from '../../src/core/ids.ts';
import type { PolicyEngine } from '../../src/core/policy/types.ts';
import type { CoreServices } from '../../src/core/services.ts';
import { startGateway, type GatewayHandle } from '../../src/gateway.ts';
import { testPgUrl } from '../../src/store/testing.ts';

/** The machine's real PostgreSQL, which tests reach through the gateway. */
export const realPg = { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' };
/** The machine's real MariaDB (root, no password). */
export const realMysql = { host: '127.0.0.1', port: 3306, database: 'test', user: 'root' };

export interface TestGateway {
  gw: GatewayHandle;
  dataDir: string;
  pgPort: number;
  apiUrl: string;
  /** Creates a user with a token; returns the token. */
  user(name: string, groups?: string[]): Promise<string>;
  /** Creates a connection: postgres by default (the machine's PostgreSQL, db test); `type: 'mysql'` defaults to the machine's MariaDB; `type: 'ssh'` needs host, port, username and password. */
  connection(name: string, over?: Partial<{ type: 'postgres' | 'mysql' | 'ssh'; host: string; port: number; database: string; username: string; password: string; tls: 'disable' | 'prefer' | 'require' | 'verify-full' }>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Users and connections created straight in a gateway's core, stamped by the
 * gateway's clock: what every gateway-starting test helper offers.
 */
export function seeding(core: CoreServices, now: () => Date = () => new Date()): Pick<TestGateway, 'user' | 'connection'> {
  return {
    async user(name, groups = []) {
      const u = await core.users.create({ id: newId('usr'), name, role: 'user', groups, createdAt: now() });
      return (await issueToken(core, u.id, { name: 'test' })).token;
    },
    async connection(name, over = {}) {
      const real = over.type === 'mysql' ? realMysql : realPg;
      await core.connections.create({
        id: newId('con'),
        name,
        type: over.type ?? 'postgres',
        host: over.host ?? real.host,
        port: over.port ?? real.port,
        database: over.database ?? (over.type === 'ssh' ? null : real.database),
        username: over.username ?? real.user,
        sealedSecret: over.password === undefined ? null : core.vault.seal(over.password),
        tls: over.tls ?? 'disable',
        tags: [],
        agent: null,
        createdAt: now(),
      });
    },
  };
}

/** A whole gateway on free ports with a temp data dir; stop() removes everything. */
/** A test gateway with its MySQL listener (kept apart from TestGateway so other gateway-like helpers need not have one). */
export type TestGatewayWithMysql = TestGateway & { mysqlPort: number; sshPort: number };

export async function startTestGateway(opts: { policy?: PolicyEngine; rules?: unknown[]; config?: Record<string, unknown>; storeUrl?: string; /** The gateway's environment (none by default). */ env?: NodeJS.ProcessEnv } = {}): Promise<TestGatewayWithMysql> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-gw-'));
  const config = validateConfig(
    {
      dataDir,
      logLevel: process.env.TEST_LOG ?? 'silent',
      listeners: { postgres: { port: 0 }, mysql: { port: 0, enabled: true }, ssh: { port: 0, enabled: true }, api: { port: 0 } },
      recording: { flushIntervalMs: 50 },
      store: opts.storeUrl ? { url: opts.storeUrl, schema: `warden_test_${newId('s').slice(2).toLowerCase()}` } : {},
      // Tests of the relay itself run under an allow-everything policy; policy tests bring their own rules.
      policy: { rules: opts.rules ?? [{ id: 'test:allow-all', effect: 'allow', match: {} }] },
      ...opts.config,
    },
    'test config',
  );
  const gw = await startGateway(config, { logger: pino({ level: process.env.TEST_LOG ?? 'silent' }), policy: opts.policy, env: opts.env ?? {} });
  const core = gw.core;
  return {
    gw,
    dataDir,
    pgPort: gw.addresses.postgres!.port,
    mysqlPort: gw.addresses.mysql?.port ?? 0,
    sshPort: gw.addresses.ssh?.port ?? 0,
    apiUrl: `http://127.0.0.1:${gw.addresses.api!.port}`,
    ...seeding(core),
    async stop() {
      await gw.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (opts.storeUrl) {
        const c = new pg.Client({ connectionString: opts.storeUrl });
        await c.connect();
        await c.query(`drop schema if exists ${config.store.schema} cascade`);
        await c.end();
      }
    },
  };
}

/** A libpq connection string for psql through the gateway. */
export function gatewayUrl(t: TestGateway, user: string, token: string, connection: string, sslmode = 'disable'): string {
  return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(token)}@127.0.0.1:${t.pgPort}/${encodeURIComponent(connection)}?sslmode=${sslmode}`;
}

/** Waits (bounded) until the newest session of `user` has ended; returns it with its recorded events. */
export async function endedSession(t: TestGateway, user: string, connection?: string) {
  // Up to 15 s: under a loaded CI machine a session's end can take a while to be stored.
  for (let i = 0; i < 600; i++) {
    const [s] = await t.gw.core.sessions.list({ userName: user, connectionName: connection, limit: 1 });
    if (s?.endedAt) {
      const events = [];
      for await (const e of t.gw.core.recordings.read(s.id)) events.push(e);
      return { session: s, events };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ended session for ${user}`);
}

/**
 * What the replicas of one deployment share, as `config` for startTestGateway: a store schema of
 * their own on the test PostgreSQL and one vault master key file (as deployed: one
 * WARDEN_MASTER_KEY; cross-replica cancel and kill digests derive from it). `remove()` drops both.
 */
export function sharedReplicaSetup(): { config: { store: { url: string; schema: string }; vault: { masterKeyFile: string }; agents: { replicaHeartbeatMs: number } }; remove(): Promise<void> } {
  const schema = `warden_test_${randomBytes(6).toString('hex')}`;
  const keyDir = mkdtempSync(join(tmpdir(), 'warden-replica-key-'));
  const masterKeyFile = join(keyDir, 'master.key');
  writeFileSync(masterKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return {
    config: { store: { url: testPgUrl, schema }, vault: { masterKeyFile }, agents: { replicaHeartbeatMs: 500 } },
    async remove() {
      const c = new pg.Client({ connectionString: testPgUrl });
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}
