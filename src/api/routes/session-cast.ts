import { z } from 'zod';
import { WardenError } from '../../core/errors.ts';
import { castFileName } from '../../core/recording/disk.ts';
import type { CoreServices } from '../../core/services.ts';
import { IdParams } from '../schemas.ts';
import type { Api } from '../types.ts';

const CastQuery = z.object({
  /** Which interactive shell of the session, in the order they opened (a session may open several). */
  shell: z.coerce.number().int().min(1).max(10_000).default(1),
});

/**
 * A session's terminal recordings (asciicast v2, one per interactive shell),
 * for `warden replay` and the web player. Same readers as the session's
 * events: admins and auditors.
 */
export function sessionCastRoutes(app: Api, core: CoreServices): void {
  app.get(
    '/api/v1/sessions/:id/cast',
    {
      config: { access: 'read' },
      schema: {
        tags: ['sessions'],
        summary: "An interactive shell of a session as asciicast v2 (application/x-asciicast): a header line, then [seconds, code, data] lines",
        params: IdParams,
        querystring: CastQuery,
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      if (!(await core.sessions.get(id))) throw new WardenError('not_found', `no session ${id}; see \`warden sessions list\``);
      // Session ids are ours (`ses_…`) and exist in the store, but never let one name another path.
      if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new WardenError('not_found', `no terminal recording for session ${id}`);
      const n = req.query.shell;
      const cast = await core.recordings.file(castFileName(id, n)).catch((err: unknown) => {
        if (!(err instanceof WardenError) || err.kind !== 'not_found') throw err;
        throw new WardenError('not_found', `session ${id} has no terminal recording${n === 1 ? '' : ` for shell ${n}`}: only interactive SSH shells are recorded as asciicast (see \`warden sessions show ${id}\`)`);
      });
      return reply.type('application/x-asciicast').send(cast);
    },
  );
}
