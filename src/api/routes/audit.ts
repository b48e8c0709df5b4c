import { z } from 'zod';
import { auditOutcomes, auditTypes, type AuditEvent } from '../../core/audit/types.ts';
import type { CoreServices } from '../../core/services.ts';
import { ErrorView } from '../schemas.ts';
import type { Api } from '../types.ts';

/** A type (`login.saml`) or a family of types (`login`). */
const typeFilters = [...new Set([...auditTypes, ...auditTypes.map((t) => t.split('.')[0]!)])] as [string, ...string[]];
const instant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO-8601 time, e.g. 2026-01-31T12:00:00Z');

export const AuditQuery = z.strictObject({
  /** Events at or after this time. */
  since: instant.optional(),
  /** Events before this time. */
  until: instant.optional(),
  /** The acting user's name. */
  actor: z.string().min(1).max(200).optional(),
  type: z.enum(typeFilters).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type AuditQuery = z.input<typeof AuditQuery>;

export const AuditEventView = z.object({
  id: z.string(),
  at: z.string(),
  type: z.enum(auditTypes),
  outcome: z.enum(auditOutcomes),
  actor: z.string().nullable(),
  subject: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});
export type AuditEventView = z.infer<typeof AuditEventView>;
const view = (e: AuditEvent): AuditEventView => ({ ...e, at: e.at.toISOString() });

/** The audit log, newest first. Auditors and admins. */
export function auditRoutes(app: Api, core: CoreServices): void {
  app.get(
    '/api/v1/audit',
    {
      config: { access: 'read' },
      schema: {
        tags: ['audit'],
        summary: 'Search the audit log (sign-ins and refused sign-ins, tokens, policy, reviews, users, connections), newest first',
        querystring: AuditQuery,
        response: { 200: AuditEventView.array(), 400: ErrorView },
      },
    },
    async (req) => {
      const q = req.query;
      const events = await core.audit.list({
        limit: q.limit,
        ...(q.since === undefined ? {} : { since: new Date(q.since) }),
        ...(q.until === undefined ? {} : { until: new Date(q.until) }),
        ...(q.actor === undefined ? {} : { actor: q.actor }),
        ...(q.type === undefined ? {} : { type: q.type }),
      });
      return events.map(view);
    },
  );
}
