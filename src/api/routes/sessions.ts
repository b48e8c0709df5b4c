import { Readable } from 'node:stream';
import { WardenError } from '../../core/errors.ts';
import type { RecordingEvent } from '../../core/recording/types.ts';
import type { CoreServices } from '../../core/services.ts';
import { caller } from '../auth.ts';
import { ErrorView, NoContent, IdParams, SessionsQuery, SessionView, sessionView } from '../schemas.ts';
import type { Api } from '../types.ts';

/** Sessions and their recordings. Admins and auditors read; only admins kill. */
export function sessionRoutes(app: Api, core: CoreServices): void {
  const tags = ['sessions'];
  const isLive = (id: string) => core.live.list().some((s) => s.id === id);

  app.get(
    '/api/v1/sessions',
    {
      config: { access: 'read' },
      schema: { tags, summary: 'List sessions, newest first', querystring: SessionsQuery, response: { 200: SessionView.array() } },
    },
    async (req) => {
      const { user, connection, limit, open } = req.query;
      const live = new Set(core.live.list().map((s) => s.id));
      const rows = await core.sessions.list({
        limit,
        ...(user === undefined ? {} : { userName: user }),
        ...(connection === undefined ? {} : { connectionName: connection }),
        ...(open === undefined ? {} : { openOnly: open === 'true' }),
      });
      return rows.map((s) => sessionView(s, live.has(s.id)));
    },
  );

  app.get(
    '/api/v1/sessions/:id',
    {
      config: { access: 'read' },
      schema: { tags, summary: 'Show a session', params: IdParams, response: { 200: SessionView, 404: ErrorView } },
    },
    async (req) => {
      const s = await core.sessions.get(req.params.id);
      if (!s) throw notFound(req.params.id);
      return sessionView(s, isLive(s.id));
    },
  );

  app.get(
    '/api/v1/sessions/:id/events',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: "A session's recording as JSON lines (application/x-ndjson), one event per line",
        params: IdParams,
      },
    },
    async (req, reply) => {
      if (!(await core.sessions.get(req.params.id))) throw notFound(req.params.id);
      const events = core.recordings.read(req.params.id)[Symbol.asyncIterator]();
      // Read the first event before answering, so a missing recording is a
      // clean 404 and not a 200 that breaks off.
      const first = await events.next();
      return reply.type('application/x-ndjson').send(Readable.from(asLines(first, events)));
    },
  );

  app.delete(
    '/api/v1/sessions/:id',
    { schema: { tags, summary: 'Kill a session open on this gateway', params: IdParams, response: { 204: NoContent, 404: ErrorView } } },
    async (req, reply) => {
      if (!core.live.kill(req.params.id, `killed by ${caller(req).user.name}`)) {
        throw new WardenError('not_found', `session ${req.params.id} is not open on this gateway; see \`warden sessions list --open\``);
      }
      return reply.status(204).send(null);
    },
  );
}

const notFound = (id: string) => new WardenError('not_found', `no session ${id}; see \`warden sessions list\``);

async function* asLines(first: IteratorResult<RecordingEvent>, rest: AsyncIterator<RecordingEvent>): AsyncGenerator<string> {
  for (let r = first; !r.done; r = await rest.next()) yield `${JSON.stringify(r.value)}\n`;
}
