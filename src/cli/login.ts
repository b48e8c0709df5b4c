import type { Command } from 'commander';
import { WardenError } from '../core/errors.ts';
import { ApiClient } from './client.ts';
import { cliConfigPath, removeCliConfig, writeCliConfig } from './config.ts';
import { action, output } from './output.ts';

/** `warden login` / `warden logout`: remember (or forget) which API and token the CLI uses. */
export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('check a Warden token against the API and save both for later commands')
    .requiredOption('--url <url>', 'Warden API URL, e.g. http://127.0.0.1:17080')
    .option('--token <token>', 'the token (default: $WARDEN_TOKEN, else read from stdin)')
    .option('--json', 'print JSON for scripts instead of text')
    .addHelpText('after', '\nExample:\n  echo "$TOKEN" | warden login --url http://127.0.0.1:17080\n\nSaved in $WARDEN_CLI_CONFIG or ~/.config/warden/cli.json (mode 0600).')
    .action(
      action(async (opts: { url: string; token?: string; json?: boolean }) => {
        const token = opts.token ?? process.env['WARDEN_TOKEN'] ?? (await tokenFromStdin());
        const api = new ApiClient({ url: opts.url, token });
        // Check before saving: a wrong URL or token should fail here, not at the next command.
        const me = await api.whoami();
        const path = cliConfigPath();
        await writeCliConfig(path, { url: api.url, token });
        output(opts).result({ url: api.url, user: me.user, configFile: path }, () => `logged in to ${api.url} as ${me.user.name} (${me.user.role}); saved in ${path}`);
      }),
    );

  program
    .command('logout')
    .description('forget the saved API URL and token')
    .action(
      action(async () => {
        const path = cliConfigPath();
        const removed = await removeCliConfig(path);
        process.stdout.write(removed ? `logged out; removed ${path}\n` : `not logged in (no ${path})\n`);
      }),
    );
}

async function tokenFromStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new WardenError('bad_request', 'no token given: pipe it on stdin, set WARDEN_TOKEN, or pass --token');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const token = Buffer.concat(chunks).toString('utf8').trim();
  if (token === '') throw new WardenError('bad_request', 'stdin was empty: pipe the token in, set WARDEN_TOKEN, or pass --token');
  return token;
}
