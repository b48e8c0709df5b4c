import type { Connection } from '../../core/connections/types.ts';
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
    { schema: { tags, summary: 'Create a connection', body: CreateConnection, response: { 201: ConnectionView, 409: ErrorView } } },
    async (req, reply) => {
      const { password, ...fields } = req.body;
      if (await core.connections.byName(fields.name)) {
        throw new WardenError('bad_request', `connection ${fields.name} already exists; change it with PATCH or pick another name`, {
          code: CONFLICT,
        });
      }
      const created = await core.connections.create({
        ...fields,
        id: newId('con'),
        sealedSecret: password === undefined ? null : core.vault.seal(password),
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
      schema: {
        tags,
        summary: 'Change a connection; `password: null` removes the stored credential',
        params: NameParams,
        body: PatchConnection,
        response: { 200: ConnectionView, 404: ErrorView },
      },
    },
    async (req) => {
      const { password, ...fields } = req.body;
      const patch: Partial<Omit<Connection, 'id' | 'name' | 'createdAt'>> = { ...fields };
      if (password !== undefined) patch.sealedSecret = password === null ? null : core.vault.seal(password);
      const updated = await core.connections.update(req.params.name, patch);
      if (!updated) throw notFound(req.params.name);
      return connectionView(updated);
    },
  );

  app.delete(
    '/api/v1/connections/:name',
    { schema: { tags, summary: 'Delete a connection', params: NameParams, response: { 204: NoContent, 404: ErrorView } } },
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
