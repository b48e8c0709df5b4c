import type { Selectable } from 'kysely';
import { WardenError } from '../core/errors.ts';
import {
  reviewKinds,
  reviewModes,
  reviewStatuses,
  type Decision,
  type Review,
  type ReviewKind,
  type ReviewPolicy,
  type ReviewStatus,
} from '../core/review/types.ts';
import type { Codec } from './codec.ts';
import type { DbInt, DbTime } from './schema.ts';

/**
 * The `reviews` table as Kysely sees it, and the row ⇄ Review conversions.
 * Declared here (not in schema.ts) and added with `withTables`, so the review
 * tables stay next to the only repository that reads them. Type aliases, not
 * interfaces: `withTables` needs types with an implicit index signature.
 */
export type ReviewsTable = {
  id: string;
  seq: DbInt;
  kind: string;
  status: string;
  requester: string;
  requesterGroups: string;
  connection: string;
  text: string | null;
  fingerprint: string | null;
  justification: string | null;
  rules: string;
  policy: string;
  createdAt: DbTime;
  notifiedAt: DbTime | null;
  expiresAt: DbTime;
  decisions: string;
  decisionCount: number;
  decidedAt: DbTime | null;
  validUntil: DbTime | null;
  accessForMs: DbInt | null;
  runs: number;
  notifyErrors: string;
};

export type ReviewCounterTable = {
  id: number;
  value: DbInt;
};

export type ReviewTables = {
  reviews: ReviewsTable;
  reviewCounter: ReviewCounterTable;
};

type Patch = Partial<Omit<Review, 'id' | 'createdAt'>>;

/** The columns present in `p` (undefined = leave as is). */
export function writeReview(p: Patch, c: Codec): Partial<ReviewsTable> {
  const out: Partial<ReviewsTable> = {};
  if (p.kind !== undefined) out.kind = p.kind;
  if (p.status !== undefined) out.status = p.status;
  if (p.requester !== undefined) out.requester = p.requester;
  if (p.requesterGroups !== undefined) out.requesterGroups = c.json(p.requesterGroups);
  if (p.connection !== undefined) out.connection = p.connection;
  if (p.text !== undefined) out.text = p.text;
  if (p.fingerprint !== undefined) out.fingerprint = p.fingerprint;
  if (p.justification !== undefined) out.justification = p.justification;
  if (p.rules !== undefined) out.rules = c.json(p.rules);
  if (p.policy !== undefined) out.policy = JSON.stringify(p.policy);
  if (p.notifiedAt !== undefined) out.notifiedAt = c.timeOrNull(p.notifiedAt);
  if (p.expiresAt !== undefined) out.expiresAt = c.time(p.expiresAt);
  if (p.decisions !== undefined) {
    out.decisions = JSON.stringify(p.decisions.map((d) => ({ ...d, at: d.at.toISOString() })));
    out.decisionCount = p.decisions.length;
  }
  if (p.decidedAt !== undefined) out.decidedAt = c.timeOrNull(p.decidedAt);
  if (p.validUntil !== undefined) out.validUntil = c.timeOrNull(p.validUntil);
  if (p.accessForMs !== undefined) out.accessForMs = p.accessForMs;
  if (p.runs !== undefined) out.runs = p.runs;
  if (p.notifyErrors !== undefined) out.notifyErrors = c.json(p.notifyErrors);
  return out;
}

export function readReview(r: Selectable<ReviewsTable>, c: Codec): Review {
  // fail closed: a row the code does not understand never approves anything.
  if (!reviewKinds.includes(r.kind as ReviewKind)) throw corrupt(r.id, `kind "${r.kind}"`);
  if (!reviewStatuses.includes(r.status as ReviewStatus)) throw corrupt(r.id, `status "${r.status}"`);
  return {
    id: r.id,
    kind: r.kind as ReviewKind,
    status: r.status as ReviewStatus,
    requester: r.requester,
    requesterGroups: c.readJson(r.requesterGroups, 'reviews.requester_groups'),
    connection: r.connection,
    text: r.text,
    fingerprint: r.fingerprint,
    justification: r.justification,
    rules: c.readJson(r.rules, 'reviews.rules'),
    policy: readPolicy(r.id, r.policy),
    createdAt: c.readTime(r.createdAt),
    notifiedAt: c.readTimeOrNull(r.notifiedAt),
    expiresAt: c.readTime(r.expiresAt),
    decisions: readDecisions(r.id, r.decisions),
    decidedAt: c.readTimeOrNull(r.decidedAt),
    validUntil: c.readTimeOrNull(r.validUntil),
    accessForMs: r.accessForMs === null ? null : c.readInt(r.accessForMs),
    runs: Number(r.runs),
    notifyErrors: c.readJson(r.notifyErrors, 'reviews.notify_errors'),
  };
}

function readPolicy(id: string, text: string): ReviewPolicy {
  const p = JSON.parse(text) as Partial<ReviewPolicy> | null;
  const ok =
    typeof p === 'object' &&
    p !== null &&
    reviewModes.includes(p.mode as ReviewPolicy['mode']) &&
    Array.isArray(p.approverGroups) &&
    p.approverGroups.every((g) => typeof g === 'string') &&
    [p.approvals, p.timeoutMs, p.approvalWindowMs, p.maxRuns].every((n) => typeof n === 'number') &&
    typeof p.eachGroup === 'boolean' &&
    typeof p.requireJustification === 'boolean';
  if (!ok) throw corrupt(id, 'policy');
  return p as ReviewPolicy;
}

function readDecisions(id: string, text: string): Decision[] {
  const list: unknown = JSON.parse(text);
  if (!Array.isArray(list)) throw corrupt(id, 'decisions');
  return list.map((raw) => {
    const d = raw as Record<string, unknown>;
    const ok =
      typeof d.by === 'string' &&
      Array.isArray(d.groups) &&
      ['approve', 'deny', 'force-approve'].includes(d.decision as string) &&
      (d.reason === null || typeof d.reason === 'string') &&
      typeof d.at === 'string';
    if (!ok) throw corrupt(id, 'decisions');
    return {
      by: d.by as string,
      groups: (d.groups as unknown[]).map(String),
      decision: d.decision as Decision['decision'],
      reason: d.reason as string | null,
      at: new Date(d.at as string),
    };
  });
}

function corrupt(id: string, what: string): WardenError {
  return new WardenError('internal', `review ${id} has an unreadable ${what} in the store`);
}
