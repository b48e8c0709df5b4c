import type { FastifyInstance } from 'fastify';
import type { AuditType } from '../core/audit/types.ts';
import type { CoreServices } from '../core/services.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Routes that change Warden itself name the audit event they produce. */
    audit?: AuditType;
  }
}

/**
 * One audit event per call of a route that declares `config.audit`: who
 * called (the verified token's user, or nobody), what it was about (the
 * `:id`/`:name` in the path, or the `name` of what was created), and whether
 * it worked (status < 400) or was refused (a 403 from the role gate is
 * recorded too). Recorded in `onSend`, before the answer leaves, so a client
 * that reads the audit log next finds the event there.
 */
export function useAudit(app: FastifyInstance, core: CoreServices): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const type = req.routeOptions.config.audit;
    if (type === undefined) return payload;
    const params = (req.params ?? {}) as Record<string, unknown>;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const subject = [params['id'], params['name'], body['name']].find((v): v is string => typeof v === 'string') ?? null;
    await core.audit.record({
      type,
      outcome: reply.statusCode < 400 ? 'success' : 'failure',
      actor: req.identity?.user.name ?? null,
      subject,
      detail: { route: `${req.method} ${req.routeOptions.url ?? req.url}`, status: reply.statusCode },
    });
    return payload;
  });
}
