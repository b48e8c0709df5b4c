import { manualClock } from '../../clock.ts';
import type { Review, ReviewNotice } from '../types.ts';

/** A sample notice for the channel tests (statement already literal-masked, with mrkdwn/HTML metacharacters). */
const clock = manualClock(new Date('2026-05-01T09:00:00Z'));

export function sampleReview(over: Partial<Review> = {}): Review {
  return {
    id: 'R-42',
    kind: 'command',
    status: 'pending',
    requester: 'alice',
    requesterGroups: ['dev'],
    connection: 'prod',
    text: "DELETE FROM users WHERE email = '***' AND note = '<b>&'",
    fingerprint: 'fp',
    justification: 'INC-9: remove a spam account',
    rules: ['deletes-need-review'],
    policy: { mode: 'hold', approverGroups: ['dba'], approvals: 1, eachGroup: false, timeoutMs: 600_000, approvalWindowMs: 0, maxRuns: 1, requireJustification: true },
    createdAt: clock.now(),
    notifiedAt: null,
    expiresAt: new Date(clock.now().getTime() + 600_000),
    decisions: [],
    decidedAt: null,
    validUntil: null,
    accessForMs: null,
    runs: 0,
    notifyErrors: [],
    ...over,
  };
}

export const notice = (over: Partial<ReviewNotice> = {}): ReviewNotice => ({
  type: 'review_requested',
  review: sampleReview(),
  links: {
    view: 'https://warden.example/reviews/R-42',
    approve: 'https://warden.example/reviews/R-42#approve',
    deny: 'https://warden.example/reviews/R-42#deny',
    api: { view: 'https://warden.example/api/v1/reviews/R-42', approve: 'https://warden.example/api/v1/reviews/R-42/approve', deny: 'https://warden.example/api/v1/reviews/R-42/deny' },
  },
  ...over,
});

