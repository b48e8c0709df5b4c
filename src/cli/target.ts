import type { Command } from 'commander';
import { WardenError } from '../core/errors.ts';
import { ApiClient } from './client.ts';
import { cliConfigPath, readCliConfig } from './config.ts';
import { output, type Output } from './output.ts';

/**
 * Which API an API-backed command talks to: `--url/--token` flags, else
 * WARDEN_URL/WARDEN_TOKEN, else what `warden login` saved.
 */
export interface ApiFlags {
  url?: string;
  token?: string;
  json?: boolean;
}

/** Adds the options every API-backed command takes. */
export function apiCommand(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'Warden API URL (default: $WARDEN_URL or the one saved by `warden login`)')
    .option('--token <token>', 'Warden token (default: $WARDEN_TOKEN or the one saved by `warden login`)')
    .option('--json', 'print JSON for scripts instead of text');
}

export async function connect(flags: ApiFlags, env: NodeJS.ProcessEnv = process.env): Promise<{ api: ApiClient; out: Output }> {
  const saved = await readCliConfig(cliConfigPath(env));
  const url = flags.url ?? env['WARDEN_URL'] ?? saved?.url;
  const token = flags.token ?? env['WARDEN_TOKEN'] ?? saved?.token;
  if (!url || !token) {
    throw new WardenError('access_denied', 'not logged in: run `warden login --url <api-url>` (token on stdin or in WARDEN_TOKEN), or set WARDEN_URL and WARDEN_TOKEN');
  }
  return { api: new ApiClient({ url, token }), out: output(flags) };
}
