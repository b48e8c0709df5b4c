import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asWardenError, type ErrorKind, type WardenError } from '../core/errors.ts';
import type { ErrorView } from './schemas.ts';

/**
 * Errors become HTTP responses here and nowhere else: `{ error, message }`
 * with a status from the WardenError kind. 5xx responses carry a generic
 * message; the detail goes to the log only, so nothing internal (and no
 * credential) leaks to a client.
 */
const GENERIC = 'internal gateway error; the incident was logged';

/** `bad_request` with this code means "already exists". */
export const CONFLICT = 'conflict';

function statusOf(err: WardenError, authenticated: boolean): number {
  const byKind: Record<ErrorKind, number> = {
    // Unauthenticated callers get 401; a known caller without the right role gets 403.
    access_denied: authenticated ? 403 : 401,
    not_found: 404,
    bad_request: err.code === CONFLICT ? 409 : 400,
    upstream_unavailable: 500,
    approval_required: 500,
    internal: 500,
  };
  return byKind[err.kind];
}

export function useErrorMapping(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    // Framework errors (validation, bad JSON, body too large) are the client's doing.
    const status = err.statusCode;
    if (!(err instanceof Error && err.name === 'WardenError') && status !== undefined && status >= 400 && status < 500) {
      return reply.status(status).send({ error: 'bad_request', message: err.message } satisfies ErrorView);
    }
    const we = asWardenError(err);
    const code = statusOf(we, req.identity !== null);
    if (code >= 500) {
      req.log.error({ err }, 'api request failed');
      return reply.status(code).send({ error: 'internal', message: GENERIC } satisfies ErrorView);
    }
    if (code === 401) void reply.header('www-authenticate', 'Bearer realm="warden"');
    return reply.status(code).send({ error: we.kind, message: we.message } satisfies ErrorView);
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}; see /openapi.json` } satisfies ErrorView);
  });
}
