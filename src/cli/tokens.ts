import type { Command } from 'commander';
import type { CreateToken } from '../api/schemas.ts';
import { parseDuration } from './duration.ts';
import { action, shortTime, table } from './output.ts';
import { apiCommand, connect, type ApiFlags } from './target.ts';

/** `warden tokens …`: API and database tokens of a user. */
export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description("manage tokens: anyone lists and revokes their own; admins issue them and manage anyone's");

  apiCommand(tokens.command('create').description('issue a token; it is shown once, store it now').argument('<user>'))
    .option('--name <name>', 'a label to recognise it by', 'cli')
    .option('--ttl <duration>', 'lifetime, e.g. 30m, 12h, 7d (default: 12h; with --machine: no expiry)')
    .option('--machine', 'a long-lived token for a CI job, service or AI agent; the user must be in the `machine` group')
    .action(
      action(async (user: string, flags: ApiFlags & { name: string; ttl?: string; machine?: boolean }) => {
        const { api, out } = await connect(flags);
        const body: CreateToken & { machine?: boolean } = {
          name: flags.name,
          ...(flags.ttl === undefined ? {} : { ttlMs: parseDuration(flags.ttl) }),
          ...(flags.machine === true ? { machine: true } : {}),
        };
        const issued = await api.createToken(user, body);
        const expires = issued.record.expiresAt ? `expires ${shortTime(issued.record.expiresAt)}` : 'never expires: revoke it when the job is gone';
        out.result(issued, () => [
          issued.token,
          '',
          `${flags.machine === true ? 'machine ' : ''}token ${issued.record.id} for ${user}, ${expires}.`,
          'This is the only time it is shown: store it now (use it as the password in psql, or with `warden login`).',
        ]);
      }),
    );

  apiCommand(tokens.command('list').description("list your tokens, or (admin) a user's; never their secrets").argument('[user]', 'default: yourself'))
    .action(
      action(async (user: string | undefined, flags: ApiFlags) => {
        const { api, out } = await connect(flags);
        const list = await api.listTokens(user ?? (await api.whoami()).user.name);
        out.result(list, () =>
          table(
            ['ID', 'NAME', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED'],
            list.map((t) => [t.id, t.name, shortTime(t.createdAt), t.expiresAt === null ? 'never' : shortTime(t.expiresAt), shortTime(t.lastUsedAt), shortTime(t.revokedAt)]),
          ),
        );
      }),
    );

  apiCommand(tokens.command('revoke').description('revoke a token at once (your own, or as admin anyone\'s)').argument('<id>', 'token id, from `warden tokens list`'))
    .action(
      action(async (id: string, flags: ApiFlags) => {
        const { api, out } = await connect(flags);
        await api.revokeToken(id);
        out.result({ revoked: id }, () => `revoked token ${id}`);
      }),
    );
}
