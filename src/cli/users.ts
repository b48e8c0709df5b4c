import type { Command } from 'commander';
import type { UserView } from '../api/schemas.ts';
import { roles, type Role } from '../core/identity/types.ts';
import { Option } from 'commander';
import { action, shortTime, table } from './output.ts';
import { registerSshKeys } from './ssh-keys.ts';
import { apiCommand, connect, type ApiFlags } from './target.ts';

/** `warden users …`: local users, their role and groups. */
export function registerUsers(program: Command): void {
  const users = program.command('users').description('manage Warden users (admin) and SSH keys (`users keys`: anyone, their own)');
  const collect = (v: string, prev: string[]) => [...prev, v];

  apiCommand(users.command('list').description('list users'))
    .action(
      action(async (flags: ApiFlags) => {
        const { api, out } = await connect(flags);
        const list = await api.listUsers();
        out.result(list, () => userTable(list));
      }),
    );

  apiCommand(users.command('create').description('create a user').argument('<name>', 'user name (also the login name in psql)'))
    .option('--group <group>', 'a group the user belongs to (repeatable)', collect, [])
    .addOption(new Option('--role <role>', 'admin, auditor or user').choices(roles).default('user'))
    .action(
      action(async (name: string, flags: ApiFlags & { group: string[]; role: Role }) => {
        const { api, out } = await connect(flags);
        const user = await api.createUser({ name, role: flags.role, groups: flags.group });
        out.result(user, () => `created user ${user.name} (${user.role}); next: \`warden tokens create ${user.name}\``);
      }),
    );

  apiCommand(users.command('delete').description('delete a user and all their tokens').argument('<name>'))
    .action(
      action(async (name: string, flags: ApiFlags) => {
        const { api, out } = await connect(flags);
        await api.deleteUser(name);
        out.result({ deleted: name }, () => `deleted user ${name}`);
      }),
    );

  apiCommand(users.command('set-groups').description("replace a user's groups (none given: no groups)").argument('<name>').argument('[groups...]'))
    .action(
      action(async (name: string, groups: string[], flags: ApiFlags) => {
        const { api, out } = await connect(flags);
        const user = await api.patchUser(name, { groups });
        out.result(user, () => `${user.name} is now in: ${user.groups.join(', ') || '(no groups)'}`);
      }),
    );

  registerSshKeys(users);
}

function userTable(list: UserView[]): string {
  return table(
    ['NAME', 'ROLE', 'GROUPS', 'CREATED', 'DISABLED'],
    list.map((u) => [u.name, u.role, u.groups.join(','), shortTime(u.createdAt), shortTime(u.disabledAt)]),
  );
}
