import { z } from 'zod';
import { WardenError } from '../../core/errors.ts';
import { registerSshKey, type SshKeyRecord } from '../../core/identity/ssh-keys.ts';
import type { User } from '../../core/identity/types.ts';
import type { CoreServices } from '../../core/services.ts';
import { caller } from '../auth.ts';
import { ErrorView, NameParams, NoContent } from '../schemas.ts';
import type { Api } from '../types.ts';
import { mustFindUser } from './users.ts';

export const SshKeyView = z.object({ id: z.string(), name: z.string(), algo: z.string(), publicKey: z.string(), fingerprint: z.string(), createdAt: z.string() });
export type SshKeyView = z.infer<typeof SshKeyView>;
export const AddSshKey = z.strictObject({
  /** One OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
  publicKey: z.string().min(1).max(16 * 1024),
  name: z.string().min(1).max(100).optional(),
});
export type AddSshKey = z.input<typeof AddSshKey>;
const KeyParams = z.object({ name: z.string(), key: z.string() });

const view = (k: SshKeyRecord): SshKeyView => ({ id: k.id, name: k.name, algo: k.algo, publicKey: k.publicKey, fingerprint: k.fingerprint, createdAt: k.createdAt.toISOString() });

/**
 * SSH public keys for public-key login to the SSH listener. Anyone signed in
 * reaches these routes; a user manages their own keys, an admin anyone's
 * (the user is looked up first, so an unknown name is a 404 for everyone).
 */
export function sshKeyRoutes(app: Api, core: CoreServices): void {
  const tags = ['users'];
  const config = { access: 'any' as const };

  app.get(
    '/api/v1/users/:name/ssh-keys',
    { config, schema: { tags, summary: "List a user's SSH public keys", params: NameParams, response: { 200: SshKeyView.array(), 403: ErrorView, 404: ErrorView } } },
    async (req) => {
      const user = await ownedUser(core, req.params.name, caller(req).user);
      return (await core.sshKeys.listForUser(user.id)).map(view);
    },
  );

  app.post(
    '/api/v1/users/:name/ssh-keys',
    { config, schema: { tags, summary: 'Register an SSH public key for a user', params: NameParams, body: AddSshKey, response: { 201: SshKeyView, 400: ErrorView, 403: ErrorView, 404: ErrorView } } },
    async (req, reply) => {
      const user = await ownedUser(core, req.params.name, caller(req).user);
      return reply.status(201).send(view(await registerSshKey(core, user, req.body.publicKey, req.body.name)));
    },
  );

  app.delete(
    '/api/v1/users/:name/ssh-keys/:key',
    { config, schema: { tags, summary: 'Remove an SSH key (by id or SHA256 fingerprint)', params: KeyParams, response: { 204: NoContent, 403: ErrorView, 404: ErrorView } } },
    async (req, reply) => {
      const user = await ownedUser(core, req.params.name, caller(req).user);
      if (!(await core.sshKeys.remove(user.id, req.params.key))) {
        throw new WardenError('not_found', `user ${user.name} has no SSH key ${req.params.key}; see \`warden users keys list ${user.name}\``);
      }
      return reply.status(204).send(null);
    },
  );
}

/** The user named in the path, when the caller is that user or an admin. */
async function ownedUser(core: CoreServices, name: string, me: User): Promise<User> {
  const user = await mustFindUser(core, name);
  // fail closed: only the owner and admins touch a user's login keys.
  if (user.id !== me.id && me.role !== 'admin') throw new WardenError('access_denied', `only ${name} or an admin manages ${name}'s SSH keys`);
  return user;
}
