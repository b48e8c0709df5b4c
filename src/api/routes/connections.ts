import { encodeSecret, type TargetSecret } from '../../core/connections/secret.ts';
import { checkHostKeys, checkPrivateKey } from '../../core/connections/ssh.ts';
import type { Connection, ConnectionType } from '../../core/connections/types.ts';
import { WardenError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { CoreServices } from '../../core/services.ts';
import { CONFLICT } from '../errors.ts';
import { ConnectionView, connectionView, CreateConnection, ErrorView, NoContent, NameParams, PatchConnection } from '../schemas.ts';
import type { Api } from '../types.ts';

/**
 * Named targets. A `password` in a request is sealed by the vault before it
 * is stored and is never returned: responses say only `hasSecret`. Admin only.
 */
export function connectionRoutes(app: Api, core: CoreServices): void {
  const tags = ['connections'];

  app.get('/api/v1/connections', { schema: { tags, summary: 'List connections', response: { 200: ConnectionView.array() } } }, async () =>
    (await core.connections.list()).map(connectionView),
  );

  app.post(
    '/api/v1/connections',
    { config: { audit: 'connection.created' }, schema: { tags, summary: 'Create a connection', body: CreateConnection, response: { 201: ConnectionView, 409: ErrorView } } },
    async (req, reply) => {
      const { password, privateKey, passphrase, agentGroup, ...fields } = req.body;
      const secret = targetSecret(fields.type, { password, privateKey, passphrase });
      checkSshFields(fields.type, fields.hostKeys);
      if (fields.credentials === 'agent' && ((fields.agent === null && agentGroup === null) || secret !== undefined)) {
        throw new WardenError('bad_request', '`credentials: agent` needs an `agent` or `agentGroup` (holding the credential) and no password or key here');
      }
      if (await core.connections.byName(fields.name)) {
        throw new WardenError('bad_request', `connection ${fields.name} already exists; change it with PATCH or pick another name`, {
          code: CONFLICT,
        });
      }
      const created = await core.connections.create({
        ...fields,
        ...(agentGroup === null ? {} : { agentGroup }),
        id: newId('con'),
        sealedSecret: secret === undefined ? null : core.vault.seal(encodeSecret(secret)),
        createdAt: core.clock.now(),
      });
      return reply.status(201).send(connectionView(created));
    },
  );

  app.get(
    '/api/v1/connections/:name',
    { schema: { tags, summary: 'Show a connection', params: NameParams, response: { 200: ConnectionView, 404: ErrorView } } },
    async (req) => connectionView(await mustFind(core, req.params.name)),
  );

  app.patch(
    '/api/v1/connections/:name',
    {
      config: { audit: 'connection.updated' },
      schema: {
        tags,
        summary: 'Change a connection; `password: null` removes the stored credential',
        params: NameParams,
        body: PatchConnection,
        response: { 200: ConnectionView, 404: ErrorView },
      },
    },
    async (req) => {
      const { password, privateKey, passphrase, agentGroup, ...fields } = req.body;
      const current = await mustFind(core, req.params.name);
      const type = fields.type ?? current.type;
      checkSshFields(type, fields.hostKeys);
      // One route per connection: the merged result may not name both an agent and a group.
      if ((fields.agent === undefined ? current.agent : fields.agent) !== null && (agentGroup === undefined ? current.agentGroup : agentGroup)) {
        throw new WardenError('bad_request', 'a connection names an `agent` or an `agentGroup`, not both; set the other to null in the same request');
      }
      const patch: Partial<Omit<Connection, 'id' | 'name' | 'createdAt'>> = { ...fields };
      // null removes the group: the key present with undefined clears the column.
      if (agentGroup !== undefined) patch.agentGroup = agentGroup ?? undefined;
      if (password === null) patch.sealedSecret = null;
      const secret = targetSecret(type, { password: password ?? undefined, privateKey, passphrase });
      if (secret !== undefined) patch.sealedSecret = core.vault.seal(encodeSecret(secret));
      const updated = await core.connections.update(req.params.name, patch);
      if (!updated) throw notFound(req.params.name);
      return connectionView(updated);
    },
  );

  app.delete(
    '/api/v1/connections/:name',
    { config: { audit: 'connection.deleted' }, schema: { tags, summary: 'Delete a connection', params: NameParams, response: { 204: NoContent, 404: ErrorView } } },
    async (req, reply) => {
      if (!(await core.connections.remove(req.params.name))) throw notFound(req.params.name);
      return reply.status(204).send(null);
    },
  );
}

const notFound = (name: string) => new WardenError('not_found', `no connection named ${name}; see \`warden connections list\``);

async function mustFind(core: CoreServices, name: string): Promise<Connection> {
  const c = await core.connections.byName(name);
  if (!c) throw notFound(name);
  return c;
}

/** The credential a request gives: a password, or (SSH only) a private key that must open with its passphrase. */
function targetSecret(type: ConnectionType, b: { password?: string | undefined; privateKey?: string | undefined; passphrase?: string | undefined }): TargetSecret | undefined {
  if (b.privateKey === undefined) {
    if (b.passphrase !== undefined) throw new WardenError('bad_request', '`passphrase` goes with `privateKey`');
    return b.password === undefined ? undefined : { password: b.password };
  }
  if (b.password !== undefined) throw new WardenError('bad_request', 'give `password` or `privateKey`, not both');
  if (type !== 'ssh') throw new WardenError('bad_request', '`privateKey` is only for ssh connections');
  checkPrivateKey(b.privateKey, b.passphrase);
  return b.passphrase === undefined ? { privateKey: b.privateKey } : { privateKey: b.privateKey, passphrase: b.passphrase };
}

function checkSshFields(type: ConnectionType, hostKeys: string[] | undefined): void {
  if (hostKeys === undefined || hostKeys.length === 0) return;
  if (type !== 'ssh') throw new WardenError('bad_request', '`hostKeys` is only for ssh connections');
  checkHostKeys(hostKeys);
}
