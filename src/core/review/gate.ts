import type { Clock } from '../clock.ts';
import type { Verdict } from '../policy/types.ts';
import type { Actor, ReviewService } from './service-types.ts';
import type { Review, ReviewPolicy } from './types.ts';
import { closedWindow, outsideWindowMessage } from './window.ts';

/**
 * Turns a `review` verdict into what the protocol does now, protocol-neutral:
 * an active access grant or an approved queued review lets it run; in hold
 * mode the caller waits for the decision; in queue mode it is refused with
 * the review id. The result is always allow or block — never review.
 */
export interface GateInput {
  reviews: ReviewService;
  actor: Actor;
  connection: string;
  text: string;
  verdict: Extract<Verdict, { effect: 'review' }>;
  /** Approver groups when the deciding rules name none. */
  defaultApprovers: string[];
  /** Aborted when the client cancels: the hold ends and the review is cancelled. */
  cancel: AbortSignal;
  /** Aborted when the session ends for another reason: the review stays pending. */
  ended: AbortSignal;
  /** The requester's justification, found by the protocol (null: none given). */
  justification?: string | null;
  /** How to give a justification in this protocol, for the refusal when a rule requires one. */
  justificationHint?: string;
  /** Execution windows are judged at this clock's time. */
  clock: Clock;
  /** Told once the review exists, so the client learns what it waits for. */
  onWaiting(review: Review): void;
}

export type GateVerdict = Extract<Verdict, { effect: 'allow' | 'block' }> & { cancelled?: boolean };

export async function passReview(g: GateInput): Promise<GateVerdict> {
  const { reviews, actor, connection, text, verdict } = g;
  const grant = await reviews.activeGrant(actor.name, connection);
  if (grant) return allow(verdict, grant, `access grant ${grant.id} until ${grant.validUntil?.toISOString()}`);
  const spec = verdict.review;
  const skipping = spec?.skipGroups?.find((group) => actor.groups.includes(group));
  if (skipping !== undefined) {
    return { effect: 'allow', rules: [...verdict.rules, { id: 'review:skipped', reason: `member of ${skipping}, which skips this review` }], ...(verdict.statements ? { statements: verdict.statements } : {}) };
  }
  const policy: ReviewPolicy = {
    mode: spec?.mode ?? 'hold',
    approverGroups: verdict.approvers.length > 0 ? verdict.approvers : g.defaultApprovers,
    approvals: spec?.approvals ?? 1,
    eachGroup: spec?.eachGroup ?? false,
    timeoutMs: (spec?.timeoutMinutes ?? 10) * 60_000,
    approvalWindowMs: (spec?.approvalWindowMinutes ?? 60) * 60_000,
    maxRuns: spec?.maxRuns ?? 1,
    requireJustification: spec?.requireJustification ?? false,
    ...windowsOf(spec),
  };
  if (policy.mode === 'queue') {
    const approved = await reviews.consumeApproved(actor.name, connection, text);
    if (approved) return allow(verdict, approved, `approved review ${approved.id}`);
    // Approved, but not now: refused without using up the approval or opening another review.
    const waiting = await reviews.approvedOutsideWindow(actor.name, connection, text);
    if (waiting) return block(verdict, waiting.review, outsideWindowMessage(waiting.review.id, waiting.window, 'queue'));
  }
  const justification = g.justification?.trim() || null;
  if (policy.requireJustification && justification === null) {
    // Refused before any review exists: approvers never see a request without its reason.
    return { effect: 'block', rules: verdict.rules, message: `${verdict.message}; this rule needs a written justification: ${g.justificationHint ?? 'give the reason with the request'}`, ...(verdict.statements ? { statements: verdict.statements } : {}) };
  }
  const review = await reviews.requestCommand({ requester: actor, connection, text, rules: verdict.rules.map((r) => r.id), policy, justification });
  if (policy.mode === 'queue') {
    return block(verdict, review, `${verdict.message}: review ${review.id} is open; once it is approved, run the same statement again (\`warden reviews show ${review.id}\`)`);
  }
  g.onWaiting(review);
  const both = AbortSignal.any([g.cancel, g.ended]);
  let final: Review;
  try {
    final = await reviews.waitForDecision(review.id, both);
  } catch {
    if (g.cancel.aborted) {
      await reviews.cancel(review.id, actor.name, 'cancelled by the client while waiting').catch(() => undefined);
      return { ...block(verdict, review, `canceling statement due to user request (review ${review.id} cancelled)`), cancelled: true };
    }
    // fail closed: the session is ending; the review stays pending and can still be decided.
    return block(verdict, review, `the session ended while review ${review.id} was pending; it can still be decided`);
  }
  if (final.status === 'approved') {
    // fail closed: an approval that lands outside the execution window does not run the statement.
    const closed = closedWindow(final.policy.windows, g.clock.now());
    if (closed !== undefined) return block(verdict, final, outsideWindowMessage(final.id, closed, 'hold'));
    return allow(verdict, final, `approved review ${final.id}`);
  }
  const last = final.decisions.at(-1);
  const why =
    final.status === 'denied'
      ? `review ${final.id} was denied by ${last?.by ?? 'an approver'}${last?.reason ? `: ${last.reason}` : ''}`
      : `review ${final.id} ${final.status === 'expired' ? 'timed out without a decision' : `ended as ${final.status}`}`;
  return block(verdict, final, why);
}

function windowsOf(spec: GateInput['verdict']['review']): Pick<ReviewPolicy, 'windows'> {
  const windows = spec?.windows ?? (spec?.window ? [spec.window] : []);
  return windows.length > 0 ? { windows } : {};
}

function allow(v: GateInput['verdict'], r: Review, reason: string): GateVerdict {
  return { effect: 'allow', rules: [...v.rules, { id: `review:${r.id}`, reason }], ...(v.statements ? { statements: v.statements } : {}) };
}

function block(v: GateInput['verdict'], r: Review, message: string): GateVerdict {
  return { effect: 'block', rules: [...v.rules, { id: `review:${r.id}`, reason: r.status }], message, ...(v.statements ? { statements: v.statements } : {}) };
}

/**
 * `passReview` for a session: the reviewer is the session's user, the
 * gateway's defaults apply, and any failure of the workflow blocks the
 * statement with a clear message (fail closed) instead of throwing.
 */
export async function reviewForSession(
  core: { reviews: ReviewService; clock: Clock; config: { reviews: { defaultApproverGroups: string[] } }; log: { error(obj: object, msg: string): void } },
  who: { name: string; groups: string[]; role: Actor['role'] },
  connection: string,
  input: Pick<GateInput, 'text' | 'verdict' | 'cancel' | 'ended' | 'onWaiting' | 'justification' | 'justificationHint'>,
): Promise<GateVerdict> {
  try {
    return await passReview({
      ...input,
      reviews: core.reviews,
      actor: { name: who.name, groups: who.groups, role: who.role },
      connection,
      clock: core.clock,
      defaultApprovers: core.config.reviews.defaultApproverGroups,
    });
  } catch (err) {
    // fail closed: a review that cannot be opened or followed means the statement does not run.
    core.log.error({ err, user: who.name, connection }, 'review workflow failed');
    return { effect: 'block', rules: input.verdict.rules, message: `${input.verdict.message}; the review could not be opened, so the statement was not run` };
  }
}
