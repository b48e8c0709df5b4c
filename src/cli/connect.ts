import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { WardenError } from '../core/errors.ts';
import { cliConfigPath, readCliConfig } from './config.ts';
import { action, output } from './output.ts';
import { connect as connectApi, type ApiFlags } from './target.ts';
import { hostBlock, withHostBlock } from './ssh-config.ts';

interface ConnectFlags extends ApiFlags {
  host?: string;
  port: number;
  user?: string;
  alias?: string;
  identityFile?: string;
  write?: boolean;
}

/**
 * `warden connect <connection>`: the ssh config Host block that makes
 * `ssh <connection>`, `scp` and `sftp` go through the gateway. Printed, or
 * with `--write` put into ~/.ssh/config (replacing an earlier block for the
 * same alias). The gateway host defaults to the API's, the user to the
 * signed-in one.
 */
export function registerConnect(program: Command): void {
  program
    .command('connect')
    .description('print (or --write to ~/.ssh/config) an ssh Host block so `ssh <connection>`, scp and sftp go through Warden')
    .argument('<connection>', 'the SSH connection')
    .option('--host <host>', "the gateway's SSH host (default: the API URL's host)")
    .option('--port <port>', "the gateway's SSH port", parsePort, 2222)
    .option('--user <name>', 'your Warden user (default: the signed-in user)')
    .option('--alias <name>', 'the Host alias (default: the connection name)')
    .option('--identity-file <file>', 'the private key registered with `warden users keys add` (default: ssh picks; the token works as password)')
    .option('--write', 'add the block to ~/.ssh/config (idempotent) instead of printing it')
    .option('--url <url>', 'Warden API URL (default: $WARDEN_URL or the one saved by `warden login`)')
    .option('--token <token>', 'Warden token (default: $WARDEN_TOKEN or the one saved by `warden login`)')
    .option('--json', 'print JSON for scripts instead of text')
    .addHelpText('after', '\nExamples:\n  warden connect web-1 --identity-file ~/.ssh/id_ed25519 --write && ssh web-1\n  warden connect web-1 --host gw.example.com --user alice >> ~/.ssh/config')
    .action(
      action(async (connection: string, flags: ConnectFlags) => {
        const out = output(flags);
        const block = hostBlock({
          alias: flags.alias ?? connection,
          connection,
          user: flags.user ?? (await signedInUser(flags)),
          host: flags.host ?? (await apiHost(flags)),
          port: flags.port,
          ...(flags.identityFile === undefined ? {} : { identityFile: resolve(flags.identityFile) }),
        });
        if (!flags.write) return out.result({ block }, () => block.replace(/\n$/, ''));
        const file = join(process.env['HOME'] || homedir(), '.ssh', 'config');
        const changed = await writeBlock(file, flags.alias ?? connection, block);
        out.result({ block, file, changed }, () => `${changed ? 'wrote' : 'already in'} ${file}: Host ${flags.alias ?? connection}; now \`ssh ${flags.alias ?? connection}\``);
      }),
    );
}

async function signedInUser(flags: ConnectFlags): Promise<string> {
  const { api } = await connectApi(flags);
  return (await api.whoami()).user.name;
}

async function apiHost(flags: ConnectFlags): Promise<string> {
  const url = flags.url ?? process.env['WARDEN_URL'] ?? (await readCliConfig(cliConfigPath()))?.url;
  if (!url) throw new WardenError('bad_request', 'give --host (the gateway host), or log in with `warden login` so the API host is known');
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    throw new WardenError('bad_request', `the API URL ${url} is not a URL; give --host`);
  }
}

/** True when the file changed. ~/.ssh is made 0700 and a new config 0600, as ssh expects. */
async function writeBlock(file: string, alias: string, block: string): Promise<boolean> {
  let current = '';
  try {
    current = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new WardenError('bad_request', `cannot read ${file}: ${(err as Error).message}`);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  }
  const { text, changed } = withHostBlock(current, alias, block);
  if (!changed) return false;
  await writeFile(file, text, { mode: 0o600 });
  if (current === '') await chmod(file, 0o600);
  return true;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a port number 1-65535.');
  return n;
}
