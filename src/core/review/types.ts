import type { TimeWindow } from '../policy/rules.ts';

/**
 * Just-in-time reviews: a human decides before a held statement reaches the
 * target (command review), or grants time-boxed access (access request).
 * Reviews live in the store so a restart loses none.
 */
export const reviewKinds = ['command', 'access'] as const;
export type ReviewKind = (typeof reviewKinds)[number];

/** hold: the client waits for the decision; queue: refused now, runs once approved when re-sent. */
export const reviewModes = ['hold', 'queue'] as const;
export type ReviewMode = (typeof reviewModes)[number];

export const reviewStatuses = ['pending', 'approved', 'denied', 'expired', 'cancelled', 'executed'] as const;
export type ReviewStatus = (typeof reviewStatuses)[number];

/** What a policy rule says about how its reviews are decided. */
export interface ReviewPolicy {
  mode: ReviewMode;
  /** Groups whose members may decide. */
  approverGroups: string[];
  /** Approvals needed (default 1). */
  approvals: number;
  /** One approval from each listed group, instead of N from any. */
  eachGroup: boolean;
  /** How long a hold waits / a pending review lives (ms). */
  timeoutMs: number;
  /** How long an approval in queue mode stays usable (ms), and how many runs it allows. */
  approvalWindowMs: number;
  maxRuns: number;
  requireJustification: boolean;
  /** Command review: an approved command runs only when `at` is inside every window (absent: any time). */
  windows?: TimeWindow[];
  /** Access requests: when the grant lapses, end the requester's open sessions on the connection. */
  closeSessionsOnExpiry?: boolean;
}

export interface Decision {
  by: string;
  /** The decider's groups at decision time, to check each-group rules later. */
  groups: string[];
  decision: 'approve' | 'deny' | 'force-approve';
  reason: string | null;
  at: Date;
}

export interface Review {
  /** Short, human: `R-1042`. */
  id: string;
  kind: ReviewKind;
  status: ReviewStatus;
  requester: string;
  requesterGroups: string[];
  connection: string;
  /** The statement with sensitive-looking literals masked (command review); null for access requests. */
  text: string | null;
  /** Key that identifies "the same statement" for queue mode (normalised text hash); null for access. */
  fingerprint: string | null;
  justification: string | null;
  /** Rules that asked for the review. */
  rules: string[];
  policy: ReviewPolicy;
  createdAt: Date;
  /** When the first notification went out (null until then). */
  notifiedAt: Date | null;
  /** Pending until then; afterwards `expired`. */
  expiresAt: Date;
  decisions: Decision[];
  decidedAt: Date | null;
  /** Access grants and queue-mode approvals: usable until then. */
  validUntil: Date | null;
  /** Access requests: the duration asked for (ms). */
  accessForMs: number | null;
  runs: number;
  /** Notification failures, visible in the API (never approve anything). */
  notifyErrors: string[];
}

export interface ReviewRepo {
  /** Assigns the next `R-n` id. */
  create(r: Omit<Review, 'id'>): Promise<Review>;
  get(id: string): Promise<Review | undefined>;
  /** Oldest first. */
  list(filter?: { status?: ReviewStatus; requester?: string; connection?: string; kind?: ReviewKind; fingerprint?: string; limit?: number }): Promise<Review[]>;
  /**
   * Compare-and-set on status: applies `patch` only if the stored review still
   * has `expectStatus`; returns the updated review or undefined when it had moved on
   * (double decisions from two replicas cannot both win). `expect`, when given,
   * also requires the stored number of decisions / runs to be unchanged, so two
   * approvals (or two queue-mode runs) racing on a still-pending review cannot
   * overwrite each other.
   */
  update(
    id: string,
    expectStatus: ReviewStatus,
    patch: Partial<Omit<Review, 'id' | 'createdAt'>>,
    expect?: { decisions?: number; runs?: number },
  ): Promise<Review | undefined>;
}

/** Notification channels: webhook, Slack-format webhook, email. Failures are reported, never thrown. */
export interface ReviewNotifier {
  notify(event: ReviewNotice): Promise<{ channel: string; error?: string }[]>;
}

export interface ReviewNotice {
  type: 'review_requested' | 'review_decided' | 'break_glass';
  review: Review;
  /**
   * Links an approver can follow: `view`/`approve`/`deny` open the review's web
   * page (sign-in, then Approve / Deny buttons); `api` holds the REST URLs for
   * machines (POST with a bearer token), when the gateway has them.
   */
  links: { view: string; approve: string; deny: string; api?: { view: string; approve: string; deny: string } };
}
