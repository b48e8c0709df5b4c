import type { Actor } from './service-types.ts';
import type { Decision, Review, ReviewPolicy } from './types.ts';

/**
 * The rules of approval as pure functions, so they are tested without a store.
 * Roles do not matter here: an admin decides only through group membership.
 */

export function inAny(actor: Actor, groups: readonly string[]): boolean {
  return actor.groups.some((g) => groups.includes(g));
}

/** May `actor` approve or deny under this policy (separation of duties is checked apart). */
export function isApprover(policy: ReviewPolicy, actor: Actor): boolean {
  return inAny(actor, policy.approverGroups);
}

/**
 * Whether the approvals so far satisfy the policy: N distinct approvers, or
 * (eachGroup) a distinct approver for every listed group — one person in two
 * groups cannot stand in for both.
 */
export function approvalsSatisfied(policy: ReviewPolicy, decisions: readonly Decision[]): boolean {
  const approvals = decisions.filter((d) => d.decision === 'approve');
  if (!policy.eachGroup) return new Set(approvals.map((d) => d.by)).size >= Math.max(1, policy.approvals);
  if (policy.approverGroups.length === 0) return false;
  return matchGroups(policy.approverGroups, approvals, new Set());
}

/** Backtracking bipartite match of groups to distinct approvers (lists are tiny). */
function matchGroups(groups: readonly string[], approvals: readonly Decision[], used: Set<string>): boolean {
  const [group, ...rest] = groups;
  if (group === undefined) return true;
  for (const d of approvals) {
    if (used.has(d.by) || !d.groups.includes(group)) continue;
    used.add(d.by);
    if (matchGroups(rest, approvals, used)) return true;
    used.delete(d.by);
  }
  return false;
}

/**
 * Milliseconds from the first notification to the decision: the behavioural
 * indicator for rubber-stamping. Null while undecided or never notified.
 */
export function decisionLatencyMs(review: Pick<Review, 'notifiedAt' | 'decidedAt'>): number | null {
  if (review.notifiedAt === null || review.decidedAt === null) return null;
  return review.decidedAt.getTime() - review.notifiedAt.getTime();
}
