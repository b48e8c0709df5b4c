import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { cliConfigPath, writeCliConfig } from './config.ts';
import { parsePort, untilSignal } from './gateway.ts';
import { action, output } from './output.ts';

/**
 * `warden demo`: everything in one process with nothing installed but Node.
 * An embedded PostgreSQL (PGlite) seeded with fake PII, a gateway in front
 * of it with the demo policy, a user with a token and a connection, and the
 * CLI signed in as the demo admin so every `warden …` command works at once.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start a self-contained demo: an embedded PostgreSQL full of fake PII behind a Warden gateway')
    .option('--data-dir <dir>', 'where the demo keeps its store, recordings and database (default <WARDEN_DATA_DIR or ./warden-data>/demo)')
    .option('--pg-port <port>', 'PostgreSQL listener port (default 15432, or a free one when busy; 0 = any free port)', parsePort)
    .option('--api-port <port>', 'REST API port (default 17080, or a free one when busy; 0 = any free port)', parsePort)
    .option('--no-login', 'do not sign the CLI in as the demo admin')
    .option('--json', 'print the connection details as one JSON line')
    .addHelpText('after', '\nCtrl-C stops the gateway and the embedded database; the data dir keeps the recordings.')
    .action(
      action(async (opts: { dataDir?: string; pgPort?: number; apiPort?: number; login: boolean; json?: boolean }) => {
        const out = output(opts);
        // Loaded on demand: the demo pulls in PGlite, the gateway and every protocol.
        const { startDemo } = await import('../demo/run.ts');
        const dataDir = resolve(opts.dataDir ?? join(process.env.WARDEN_DATA_DIR || './warden-data', 'demo'));
        const demo = await startDemo({
          dataDir,
          pgPort: opts.pgPort ?? (await firstFree(15432)),
          apiPort: opts.apiPort ?? (await firstFree(17080)),
        });
        if (opts.login) await writeCliConfig(cliConfigPath(), { url: demo.apiUrl, token: demo.adminToken });
        if (out.json) {
          process.stdout.write(`${JSON.stringify({ psql: demo.psqlUrl, api: demo.apiUrl, user: demo.user, token: demo.userToken, dataDir })}\n`);
        } else {
          process.stdout.write(demo.banner(opts.login ? cliConfigPath() : undefined));
        }
        const signal = await untilSignal();
        if (!out.json) process.stdout.write(`\n${signal}: stopping the demo…\n`);
        await demo.stop();
        if (!out.json) process.stdout.write('stopped\n');
      }),
    );
}

/** The preferred port when it is free, else 0 (any free port). */
function firstFree(port: number): Promise<number> {
  return new Promise((done) => {
    const s = createServer();
    s.once('error', () => done(0));
    s.listen(port, '127.0.0.1', () => s.close(() => done(port)));
  });
}
