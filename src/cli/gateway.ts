import { InvalidArgumentError, type Command } from 'commander';
import type { GatewayHandle } from '../gateway.ts';
import { action, output } from './output.ts';

/** `warden gateway`: run the gateway in the foreground until SIGINT/SIGTERM. */
export function registerGateway(program: Command): void {
  program
    .command('gateway')
    .description('run the Warden gateway (PostgreSQL listener and REST API) in the foreground')
    .option('--config <file>', 'configuration file, YAML or JSON (env WARDEN_* and flags override it)')
    .option('--data-dir <dir>', 'where the store, vault key, TLS certificate and recordings live')
    .option('--pg-port <port>', 'PostgreSQL listener port (0 = any free port)', parsePort)
    .option('--api-port <port>', 'REST API port (0 = any free port)', parsePort)
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal or silent')
    .option('--json', 'print the listening addresses (and bootstrap token) as one JSON line')
    .addHelpText('after', '\nCtrl-C (SIGINT) or SIGTERM stops it cleanly: live sessions end, recordings are flushed.')
    .action(
      action(async (opts: { config?: string; dataDir?: string; pgPort?: number; apiPort?: number; logLevel?: string; json?: boolean }) => {
        const out = output(opts);
        // Imported here, not at the top: the gateway pulls in every protocol and the store,
        // which the quick API commands (`warden users list`…) should not pay for at startup.
        const { loadConfig } = await import('../config/load.ts');
        // The PostgreSQL parser is loaded (and its grammar compiled) before the rest of the
        // gateway: the compiler's ~12 MB are needed for a moment, best while the process is small
        // (core/sql/parser.ts). startGateway's own initSql then finds the module loaded and compiled.
        await (await import('../core/sql/parser.ts')).initSql();
        const { startGateway } = await import('../gateway.ts');
        const config = loadConfig(opts.config, {
          ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
          ...(opts.logLevel === undefined ? {} : { logLevel: opts.logLevel }),
          ...(opts.pgPort === undefined ? {} : { postgresPort: opts.pgPort }),
          ...(opts.apiPort === undefined ? {} : { apiPort: opts.apiPort }),
        });
        let bootstrapToken: string | undefined;
        let handle: GatewayHandle;
        try {
          handle = await startGateway(config, {
            onBootstrapToken(token) {
              bootstrapToken = token;
              // Shown at once in text mode: it is printed only this one time, even if startup fails later.
              if (!out.json) process.stdout.write(bootstrapBanner(token));
            },
          });
        } catch (err) {
          if (out.json && bootstrapToken) process.stderr.write(bootstrapBanner(bootstrapToken));
          throw err;
        }
        const { postgres, api } = handle.addresses;
        const apiUrl = api ? `${config.tls.api ? 'https' : 'http'}://${hostForUrl(api.host)}:${api.port}` : undefined;
        if (out.json) {
          process.stdout.write(`${JSON.stringify({ postgres, api: apiUrl, dataDir: config.dataDir, ...(bootstrapToken ? { bootstrapToken } : {}) })}\n`);
        } else {
          if (postgres) process.stdout.write(`postgres  listening on ${postgres.host}:${postgres.port}\n`);
          if (apiUrl) process.stdout.write(`api       listening on ${apiUrl} (OpenAPI at ${apiUrl}/openapi.json)\n`);
          if (bootstrapToken && apiUrl) process.stdout.write(`next:     echo "<the token above>" | warden login --url ${apiUrl}\n`);
          process.stdout.write(`data dir  ${config.dataDir}\nPress Ctrl-C to stop.\n`);
        }
        const signal = await untilSignal();
        if (!out.json) process.stdout.write(`\n${signal}: stopping the gateway…\n`);
        await handle.stop();
        if (!out.json) process.stdout.write('stopped\n');
      }),
    );
}

export function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535.');
  return n;
}

export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.off('SIGINT', first);
      process.off('SIGTERM', first);
      // A second Ctrl-C while stopping means "now": do not wait for a slow shutdown.
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', first);
    process.on('SIGTERM', first);
  });
}

const hostForUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);

function bootstrapBanner(token: string): string {
  return [
    '',
    'A new store: created the admin user and its token. It is shown only this once; store it now:',
    '',
    `    ${token}`,
    '',
    '',
  ].join('\n');
}
