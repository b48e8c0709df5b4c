import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/load.ts';
import { manualClock } from '../../src/core/clock.ts';
import { startGateway } from '../../src/gateway.ts';
import { seeding, type TestGateway } from '../helpers/gateway.ts';

/**
 * A whole gateway like test/helpers' startTestGateway, but on a manual clock
 * the test moves: execution windows and grant expiry are then exercised at
 * chosen instants instead of by sleeping. Free ports, temp data dir; stop()
 * removes everything.
 */
export type ClockedGateway = TestGateway & { clock: ReturnType<typeof manualClock> };

export async function startClockedGateway(opts: { rules: unknown[]; config?: Record<string, unknown>; at: Date }): Promise<ClockedGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-gw-'));
  const clock = manualClock(opts.at);
  const config = validateConfig(
    {
      dataDir,
      logLevel: process.env.TEST_LOG ?? 'silent',
      listeners: { postgres: { port: 0 }, api: { port: 0 } },
      recording: { flushIntervalMs: 50 },
      policy: { rules: opts.rules },
      ...opts.config,
    },
    'test config',
  );
  const gw = await startGateway(config, { logger: pino({ level: process.env.TEST_LOG ?? 'silent' }), clock, env: {} });
  const core = gw.core;
  return {
    gw,
    clock,
    dataDir,
    pgPort: gw.addresses.postgres!.port,
    apiUrl: `http://127.0.0.1:${gw.addresses.api!.port}`,
    ...seeding(core, () => clock.now()),
    async stop() {
      await gw.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
