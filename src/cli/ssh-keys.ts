import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { SshKeyView } from '../api/routes/ssh-keys.ts';
import { WardenError } from '../core/errors.ts';
import type { ApiClient } from './client.ts';
import { action, shortTime, table } from './output.ts';
import { apiCommand, connect, type ApiFlags } from './target.ts';

type KeyFlags = ApiFlags & { user?: string };

/**
 * `warden users keys add|list|remove`: SSH public keys for public-key login
 * to the gateway's SSH listener. Without `--user` they act on the signed-in
 * user (anyone manages their own keys; an admin anyone's).
 */
export function registerSshKeys(users: Command): void {
  const keys = users.command('keys').description('SSH public keys that log in to the SSH listener (`ssh -i key user@connection@gateway`)');
  const userOption = (cmd: Command) => cmd.option('--user <name>', 'whose keys (default: the signed-in user; others need admin)');

  userOption(apiCommand(keys.command('add').description('register an SSH public key').argument('<public-key-file>', 'a .pub file, e.g. ~/.ssh/id_ed25519.pub')))
    .option('--name <label>', 'a label (default: the key comment)')
    .addHelpText('after', '\nExample:\n  warden users keys add ~/.ssh/id_ed25519.pub --name laptop')
    .action(
      action(async (file: string, flags: KeyFlags & { name?: string }) => {
        const { api, out } = await connect(flags);
        const publicKey = await readPublicKey(file);
        const user = await whose(api, flags);
        const key = await api.addSshKey(user, { publicKey, ...(flags.name === undefined ? {} : { name: flags.name }) });
        out.result(key, () => `added ${key.algo} key ${key.fingerprint} (${key.name}) for ${user}`);
      }),
    );

  userOption(apiCommand(keys.command('list').description("list a user's SSH public keys")))
    .action(
      action(async (flags: KeyFlags) => {
        const { api, out } = await connect(flags);
        const list = await api.listSshKeys(await whose(api, flags));
        out.result(list, () => table(['ID', 'NAME', 'TYPE', 'FINGERPRINT', 'ADDED'], list.map((k) => [k.id, k.name, k.algo, k.fingerprint, shortTime(k.createdAt)])));
      }),
    );

  userOption(apiCommand(keys.command('remove').description('remove an SSH key').argument('<key>', 'its id or SHA256:… fingerprint (see `warden users keys list`)')))
    .action(
      action(async (key: string, flags: KeyFlags) => {
        const { api, out } = await connect(flags);
        const user = await whose(api, flags);
        // Fingerprints hold `/` and `+`; the id is what goes in the URL.
        const id = key.startsWith('SHA256:') ? idOf(await api.listSshKeys(user), key, user) : key;
        await api.removeSshKey(user, id);
        out.result({ removed: key, user }, () => `removed SSH key ${key} of ${user}`);
      }),
    );
}

async function whose(api: ApiClient, flags: KeyFlags): Promise<string> {
  return flags.user ?? (await api.whoami()).user.name;
}

function idOf(list: SshKeyView[], fingerprint: string, user: string): string {
  const found = list.find((k) => k.fingerprint === fingerprint);
  if (!found) throw new WardenError('not_found', `${user} has no SSH key ${fingerprint}; see \`warden users keys list\``);
  return found.id;
}

async function readPublicKey(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new WardenError('bad_request', `cannot read ${file}: ${(err as Error).message}`);
  }
  // fail closed: never send a private key anywhere, even to our own gateway.
  if (text.includes('PRIVATE KEY')) throw new WardenError('bad_request', `${file} is a PRIVATE key; give its .pub file`);
  return text.trim();
}
