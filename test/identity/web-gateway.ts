import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/load.ts';
import type { Clock } from '../../src/core/clock.ts';
import { startGateway, type GatewayHandle } from '../../src/gateway.ts';
import { seeding } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';
import { startTestIdp, type TestIdp } from './idp.ts';

/**
 * A gateway with browser sign-in against the real test IdP: the API on a
 * port chosen first (the IdP must know the redirect URI), a clock the test
 * can move forward (real time plus an offset, so the IdP's ID tokens stay
 * valid), and every log line kept for assertions on refusal events.
 */
export interface WebGateway {
  idp: TestIdp;
  gw: GatewayHandle;
  apiUrl: string;
  pgPort: number;
  logs: Record<string, unknown>[];
  /** Moves the gateway's clock forward. */
  advance(ms: number): void;
  /** A local user with a bearer token. */
  user(name: string, groups?: string[]): Promise<string>;
  /** A postgres connection to the machine's PostgreSQL (db test). */
  connection(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startWebGateway(
  opts: {
    oidc?: Record<string, unknown>;
    rules?: unknown[];
    config?: Record<string, unknown>;
    /** Replicas: an IdP another gateway started (stopped by that one), a shared store, a shared master key. */
    idp?: TestIdp;
    store?: { url: string; schema: string };
    env?: Record<string, string>;
  } = {},
): Promise<WebGateway> {
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const ownIdp = opts.idp === undefined;
  const idp = opts.idp ?? (await startTestIdp({ redirectUris: [`${apiUrl}/auth/oidc/callback`] }));
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-web-'));
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  let offset = 0;
  const clock: Clock = { now: () => new Date(Date.now() + offset) };
  const config = validateConfig(
    {
      dataDir,
      logLevel: 'info',
      listeners: { postgres: { port: 0 }, api: { port: apiPort } },
      recording: { flushIntervalMs: 50 },
      ...(opts.store === undefined ? {} : { store: opts.store }),
      policy: { rules: opts.rules ?? [] },
      identity: { oidc: { issuer: idp.issuer, clientId: 'warden-web', clientSecretEnv: 'OIDC_SECRET', groupMap: { 'eng-dba': ['dba'], approvers: ['approvers'] }, ...opts.oidc } },
      ...opts.config,
    },
    'test config',
  );
  let gw: GatewayHandle;
  try {
    gw = await startGateway(config, { logger: pino({ level: 'info' }, sink), clock, env: { OIDC_SECRET: 'test-secret', ...opts.env } });
  } catch (err) {
    if (ownIdp) await idp.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const core = gw.core;
  return {
    idp,
    gw,
    apiUrl,
    pgPort: gw.addresses.postgres!.port,
    logs,
    advance: (ms) => {
      offset += ms;
    },
    ...seeding(core, () => clock.now()),
    async stop() {
      await gw.stop();
      if (ownIdp) await idp.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
