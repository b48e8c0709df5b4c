import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ConnectionView } from '../api/schemas.ts';
import { connectionTypes, targetTlsModes, type ConnectionType, type TargetTlsMode } from '../core/connections/types.ts';
import { WardenError } from '../core/errors.ts';
import { action, shortTime, table } from './output.ts';
import { apiCommand, connect, type ApiFlags } from './target.ts';

/** `warden connections …`: named targets. Passwords go in from a file or env var, never argv. */
export function registerConnections(program: Command): void {
  const connections = program.command('connections').description('manage connections: the targets users reach through Warden (admin)');
  const collect = (v: string, prev: string[]) => [...prev, v];

  apiCommand(connections.command('list').description('list connections (credentials are never shown)'))
    .action(
      action(async (flags: ApiFlags) => {
        const { api, out } = await connect(flags);
        const list = await api.listConnections();
        out.result(list, () =>
          table(
            ['NAME', 'TYPE', 'TARGET', 'DATABASE', 'USERNAME', 'TLS', 'SECRET', 'TAGS'],
            list.map((c) => [c.name, c.type, `${c.host}:${c.port}`, c.database, c.username, c.tls, c.hasSecret ? 'sealed' : 'none', c.tags.join(',')]),
          ),
        );
      }),
    );

  apiCommand(
    connections
      .command('create')
      .description('create a connection; its password is sealed in the gateway vault')
      .argument('<name>', 'the name users ask for (the database name in psql)'),
  )
    .addOption(new Option('--type <type>', 'target type').choices(connectionTypes).default('postgres'))
    .requiredOption('--host <host>', 'target host')
    .requiredOption('--port <port>', 'target port', parsePort)
    .option('--database <database>', 'database on the target')
    .requiredOption('--username <username>', 'user name on the target')
    .option('--password-file <file>', 'read the target password from this file')
    .option('--password-env <var>', 'read the target password from this environment variable')
    .option('--private-key-file <file>', 'ssh: log in to the target with this private key instead of a password (sealed in the vault)')
    .option('--passphrase-env <var>', "ssh: the private key's passphrase, from this environment variable")
    .option('--host-key <key>', 'ssh: a host key the target must present (public key line or SHA256:… fingerprint; repeatable); none = pinned on first use', collect, [])
    .addOption(new Option('--tls <mode>', 'TLS to the target').choices(targetTlsModes).default('prefer'))
    .option('--tag <tag>', 'a tag for policies (repeatable)', collect, [])
    .option('--agent <name>', 'the agent that reaches the target (default: the gateway dials it directly)')
    .option('--agent-group <group>', 'an agent group that reaches the target: sessions spread over its connected agents (instead of --agent)')
    .option('--agent-credentials', "the agent holds the target credential (its --credentials file): give no password here")
    .addHelpText('after', '\nExample:\n  PGPASS=… warden connections create prod --host db.internal --port 5432 --database app --username warden --password-env PGPASS')
    .action(
      action(async (name: string, flags: CreateFlags) => {
        const { api, out } = await connect(flags);
        const password = await readPassword(flags);
        const key = await readPrivateKey(flags);
        if (key !== undefined && password !== undefined) throw new WardenError('bad_request', 'give a password or --private-key-file, not both');
        const created = await api.createConnection({
          name,
          type: flags.type,
          host: flags.host,
          port: flags.port,
          database: flags.database ?? null,
          username: flags.username,
          tls: flags.tls,
          tags: flags.tag,
          ...(password === undefined ? {} : { password }),
          ...(key ?? {}),
          hostKeys: flags.hostKey,
          ...(flags.agent === undefined ? {} : { agent: flags.agent }),
          ...(flags.agentGroup === undefined ? {} : { agentGroup: flags.agentGroup }),
          ...(flags.agentCredentials ? { credentials: 'agent' as const } : {}),
        });
        const sealed = key !== undefined ? ' (private key sealed)' : created.hasSecret ? ' (password sealed)' : '';
        out.result(created, () => `created connection ${created.name} → ${created.host}:${created.port}${sealed}`);
      }),
    );

  apiCommand(connections.command('show').description('show one connection').argument('<name>'))
    .action(
      action(async (name: string, flags: ApiFlags) => {
        const { api, out } = await connect(flags);
        const c = await api.getConnection(name);
        out.result(c, () => describe(c));
      }),
    );

  apiCommand(connections.command('delete').description('delete a connection').argument('<name>'))
    .action(
      action(async (name: string, flags: ApiFlags) => {
        const { api, out } = await connect(flags);
        await api.deleteConnection(name);
        out.result({ deleted: name }, () => `deleted connection ${name}`);
      }),
    );
}

interface CreateFlags extends ApiFlags {
  type: ConnectionType;
  host: string;
  port: number;
  database?: string;
  username: string;
  passwordFile?: string;
  passwordEnv?: string;
  tls: TargetTlsMode;
  tag: string[];
  privateKeyFile?: string;
  passphraseEnv?: string;
  hostKey: string[];
  agent?: string;
  agentGroup?: string;
  agentCredentials?: boolean;
}

async function readPrivateKey(flags: CreateFlags): Promise<{ privateKey: string; passphrase?: string } | undefined> {
  if (flags.privateKeyFile === undefined) {
    if (flags.passphraseEnv !== undefined) throw new WardenError('bad_request', '--passphrase-env goes with --private-key-file');
    return undefined;
  }
  let privateKey: string;
  try {
    privateKey = await readFile(flags.privateKeyFile, 'utf8');
  } catch (err) {
    throw new WardenError('bad_request', `cannot read --private-key-file ${flags.privateKeyFile}: ${(err as Error).message}`);
  }
  if (flags.passphraseEnv === undefined) return { privateKey };
  const passphrase = process.env[flags.passphraseEnv];
  if (passphrase === undefined) throw new WardenError('bad_request', `environment variable ${flags.passphraseEnv} is not set`);
  return { privateKey, passphrase };
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a port number 1-65535.');
  return n;
}

async function readPassword(flags: CreateFlags): Promise<string | undefined> {
  if (flags.passwordFile && flags.passwordEnv) throw new WardenError('bad_request', 'give --password-file or --password-env, not both');
  if (flags.passwordEnv) {
    const v = process.env[flags.passwordEnv];
    if (v === undefined) throw new WardenError('bad_request', `environment variable ${flags.passwordEnv} is not set`);
    return v;
  }
  if (flags.passwordFile) {
    try {
      // A trailing newline from `echo … > file` is not part of the password.
      return (await readFile(flags.passwordFile, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw new WardenError('bad_request', `cannot read --password-file ${flags.passwordFile}: ${(err as Error).message}`);
    }
  }
  return undefined;
}

function describe(c: ConnectionView): string[] {
  return [
    `name      ${c.name} (${c.id})`,
    `type      ${c.type}`,
    `target    ${c.host}:${c.port}${c.database ? ` database ${c.database}` : ''} as ${c.username}`,
    `tls       ${c.tls}`,
    `secret    ${c.credentials === 'agent' ? `held by agent ${c.agent ?? `group ${c.agentGroup ?? '?'}`}` : c.hasSecret ? 'sealed in the vault' : 'none'}`,
    `tags      ${c.tags.join(', ') || '-'}`,
    `agent     ${c.agent ?? (c.agentGroup ? `group ${c.agentGroup}` : 'direct')}`,
    ...(c.type === 'ssh' ? [`host keys ${c.hostKeys.length > 0 ? c.hostKeys.join('\n          ') : 'pinned on first use'}`] : []),
    `created   ${shortTime(c.createdAt)}`,
  ];
}
