/**
 * Just-in-time reviews: when policy says `review`, a person other than the
 * requester decides before a held statement reaches the target, or grants
 * time-boxed access to a connection. Reviews live in the store (a restart
 * loses none; replicas share them); approvers are told through notify/.
 */
export { createReviewService, type ReviewServiceDeps, type RunningReviewService } from './service.ts';
export { approvalsSatisfied, decisionLatencyMs, isApprover } from './rules.ts';
export { createReviewSweeper, type SweeperDeps } from './sweep.ts';
export { extractJustification, justificationHint, type Justified } from './justification.ts';
export { closedWindow, describeWindow, outsideWindowMessage } from './window.ts';
export { createNotifier, verifyWebhookSignature, type NotifyConfig, type NotifyDeps } from './notify/index.ts';
export type { Actor, ReviewService } from './service-types.ts';
export * from './types.ts';
