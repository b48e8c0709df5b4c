import { z } from 'zod';
import { decisionLatencyMs } from '../../core/review/rules.ts';
import { reviewKinds, reviewModes, reviewStatuses, type Review } from '../../core/review/types.ts';

/**
 * Request and response shapes of the review endpoints. Kept beside the routes
 * (not in `schemas.ts`) so the review API can grow without touching the
 * shared file; the CLI client imports the inferred types from here.
 */
const iso = z.string();

export const DecisionView = z.object({
  by: z.string(),
  groups: z.array(z.string()),
  decision: z.enum(['approve', 'deny', 'force-approve']),
  reason: z.string().nullable(),
  at: iso,
});
export type DecisionView = z.infer<typeof DecisionView>;

export const ReviewView = z.object({
  id: z.string(),
  kind: z.enum(reviewKinds),
  status: z.enum(reviewStatuses),
  mode: z.enum(reviewModes),
  requester: z.string(),
  requesterGroups: z.array(z.string()),
  connection: z.string(),
  /** The statement with sensitive-looking literals masked; null for access requests. */
  text: z.string().nullable(),
  justification: z.string().nullable(),
  rules: z.array(z.string()),
  approverGroups: z.array(z.string()),
  approvalsRequired: z.number(),
  eachGroup: z.boolean(),
  createdAt: iso,
  notifiedAt: iso.nullable(),
  expiresAt: iso,
  decisions: z.array(DecisionView),
  decidedAt: iso.nullable(),
  /** From notification to decision: the rubber-stamping indicator. Null until decided (or when never notified). */
  decisionLatencyMs: z.number().nullable(),
  /** Access grants and queue-mode approvals are usable until then. */
  validUntil: iso.nullable(),
  accessForMs: z.number().nullable(),
  runs: z.number(),
  maxRuns: z.number(),
  /** Notification failures; they never approve anything. */
  notifyErrors: z.array(z.string()),
});
export type ReviewView = z.infer<typeof ReviewView>;

export function reviewView(r: Review): ReviewView {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    mode: r.policy.mode,
    requester: r.requester,
    requesterGroups: r.requesterGroups,
    connection: r.connection,
    text: r.text,
    justification: r.justification,
    rules: r.rules,
    approverGroups: r.policy.approverGroups,
    approvalsRequired: r.policy.approvals,
    eachGroup: r.policy.eachGroup,
    createdAt: r.createdAt.toISOString(),
    notifiedAt: r.notifiedAt?.toISOString() ?? null,
    expiresAt: r.expiresAt.toISOString(),
    decisions: r.decisions.map((d) => ({ ...d, at: d.at.toISOString() })),
    decidedAt: r.decidedAt?.toISOString() ?? null,
    decisionLatencyMs: decisionLatencyMs(r),
    validUntil: r.validUntil?.toISOString() ?? null,
    accessForMs: r.accessForMs,
    runs: r.runs,
    maxRuns: r.policy.maxRuns,
    notifyErrors: r.notifyErrors,
  };
}

export const ReviewsQuery = z.strictObject({
  status: z.enum(reviewStatuses).optional(),
  /** Only reviews the caller asked for. */
  mine: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type ReviewsQuery = z.input<typeof ReviewsQuery>;

const reason = z.string().trim().min(1, 'give a reason').max(2000);
/** The body is optional: `POST …/approve` with none approves without a comment. */
export const ApproveBody = z.strictObject({ reason: reason.optional() }).nullish();
export type ApproveBody = z.input<typeof ApproveBody>;
/** Denials and break-glass approvals always say why. */
export const ReasonBody = z.strictObject({ reason });
export type ReasonBody = z.input<typeof ReasonBody>;

const durationUnits: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `2h`, `30m`, `1h30m` or a number of milliseconds. */
export const DurationMs = z.union([
  z.number().int().positive(),
  z
    .string()
    .trim()
    .regex(/^(\d+[smhdw])+$/, 'use e.g. 30m, 2h, 1h30m, or a number of milliseconds')
    .transform((text) => [...text.matchAll(/(\d+)([smhdw])/g)].reduce((ms, p) => ms + Number(p[1]) * durationUnits[p[2]!]!, 0))
    .pipe(z.number().int().positive('the duration must be longer than zero')),
]);

export const AccessRequestBody = z.strictObject({
  connection: z.string().min(1),
  for: DurationMs,
  reason,
  /** End the requester's open sessions on the connection when the grant expires (default: reviews.access.closeSessionsOnExpiry). */
  closeSessionsOnExpiry: z.boolean().optional(),
});
export type AccessRequestBody = z.input<typeof AccessRequestBody>;
