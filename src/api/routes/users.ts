import { WardenError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { isLocalPerson, localUsersOff } from '../../core/identity/local-users.ts';
import { machineGroup } from '../../core/identity/machine.ts';
import type { User } from '../../core/identity/types.ts';
import type { CoreServices } from '../../core/services.ts';
import { caller } from '../auth.ts';
import { CONFLICT } from '../errors.ts';
import { CreateUser, ErrorView, NoContent, NameParams, PatchUser, UserView, userView } from '../schemas.ts';
import type { Api } from '../types.ts';

/** Local users and their groups. Admin only. */
export function userRoutes(app: Api, core: CoreServices): void {
  const tags = ['users'];

  app.get('/api/v1/users', { schema: { tags, summary: 'List users', response: { 200: UserView.array() } } }, async () =>
    (await core.users.list()).map(userView),
  );

  app.post(
    '/api/v1/users',
    { config: { audit: 'user.created' }, schema: { tags, summary: 'Create a user', body: CreateUser, response: { 201: UserView, 400: ErrorView, 409: ErrorView } } },
    async (req, reply) => {
      // fail closed: with local users off, people come from the IdP; only admins, auditors and machines are made here.
      if (core.config.identity.localUsers === false && isLocalPerson({ role: req.body.role ?? 'user', groups: req.body.groups ?? [] })) {
        throw new WardenError('bad_request', `${localUsersOff}. To create a machine identity, add the ${machineGroup} group`);
      }
      if (await core.users.byName(req.body.name)) {
        throw new WardenError('bad_request', `user ${req.body.name} already exists; pick another name`, { code: CONFLICT });
      }
      const user = await core.users.create({ ...req.body, id: newId('usr'), createdAt: core.clock.now() });
      return reply.status(201).send(userView(user));
    },
  );

  app.get(
    '/api/v1/users/:name',
    { schema: { tags, summary: 'Show a user', params: NameParams, response: { 200: UserView, 404: ErrorView } } },
    async (req) => userView(await mustFindUser(core, req.params.name)),
  );

  app.patch(
    '/api/v1/users/:name',
    {
      config: { audit: 'user.updated' },
      schema: { tags, summary: 'Change role, groups, or disable a user', params: NameParams, body: PatchUser, response: { 200: UserView } },
    },
    async (req) => {
      const user = await mustFindUser(core, req.params.name);
      const { disabled, ...rest } = req.body;
      // Disabling or demoting yourself could leave the gateway with no admin able to undo it.
      if (user.id === caller(req).user.id && (disabled === true || (rest.role !== undefined && rest.role !== 'admin'))) {
        throw new WardenError('bad_request', 'you cannot disable or demote the user you are signed in as; ask another admin');
      }
      const patch = { ...rest, ...(disabled === undefined ? {} : { disabledAt: disabled ? core.clock.now() : null }) };
      const updated = await core.users.update(user.id, patch);
      if (!updated) throw notFound(req.params.name);
      return userView(updated);
    },
  );

  app.delete(
    '/api/v1/users/:name',
    { config: { audit: 'user.deleted' }, schema: { tags, summary: 'Delete a user and their tokens', params: NameParams, response: { 204: NoContent, 404: ErrorView } } },
    async (req, reply) => {
      const user = await mustFindUser(core, req.params.name);
      // An admin deleting themselves could leave the gateway with no admin at all.
      if (user.id === caller(req).user.id) {
        throw new WardenError('bad_request', 'you cannot delete the user you are signed in as; ask another admin');
      }
      if (!(await core.users.remove(user.id))) throw notFound(req.params.name);
      return reply.status(204).send(null);
    },
  );
}

const notFound = (name: string) => new WardenError('not_found', `no user named ${name}; see \`warden users list\``);

export async function mustFindUser(core: CoreServices, name: string): Promise<User> {
  const user = await core.users.byName(name);
  if (!user) throw notFound(name);
  return user;
}
