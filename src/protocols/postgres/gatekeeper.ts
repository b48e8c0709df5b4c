import type { Identity } from '../../core/identity/types.ts';
import { sessionSubject } from '../../core/policy/subject.ts';
import { VerdictAhead } from '../../core/policy/verdict-ahead.ts';
import type { Verdict } from '../../core/policy/types.ts';
import { reviewForSession } from '../../core/review/gate.ts';
import { extractJustification, justificationHint } from '../../core/review/justification.ts';
import { inlineParameters } from '../../core/review/literals.ts';
import { initSql } from '../../core/sql/index.ts';
import type { CoreServices } from '../../core/services.ts';
import { noticeResponse } from './codec/backend.ts';

/** A verdict as the relay applies it; `sqlstate` overrides 42501 for a stop. */
export type RelayVerdict = Verdict & { sqlstate?: string };

/**
 * Decides each statement of one session: policy, then — for `review` — the
 * review workflow (grant, queued approval, or a hold the client waits on with
 * a NoticeResponse). Remembers SQL-level PREPAREs so EXECUTE is judged by
 * what it runs, and lets a CancelRequest end a hold.
 */
export function createGatekeeper(core: CoreServices, who: Identity, connection: { name: string; tags: string[] }, notify: (b: Buffer) => void, sessionEnded: AbortSignal) {
  const preparedTexts = new Map<string, string>();
  let hold: AbortController | undefined;
  const reviewAhead = new VerdictAhead<RelayVerdict>();
  const subject = sessionSubject(core.clock, who.user, connection);

  /**
   * Policy for a Query ('query') or a Parse ('parse'). A Parse that needs review
   * is let through as `review`: nothing runs at Parse, and each Execute is
   * judged with its own parameters by `review()`.
   */
  async function decide(text: string, phase: 'query' | 'parse' = 'query'): Promise<RelayVerdict> {
    const verdict: RelayVerdict = reviewAhead.take(text) ?? (await core.policy.decide(subject, { kind: 'sql', dialect: 'postgres', text, preparedTexts }));
    if (verdict.effect === 'review' && phase === 'parse') return verdict;
    return gate(text, verdict);
  }

  /**
   * What `decide` gives, when policy answers at once and there is no review to wait for (the
   * common case: the relay then goes on without a promise); undefined: ask `decide`.
   */
  function decideNow(text: string, phase: 'query' | 'parse'): RelayVerdict | undefined {
    const verdict = core.policy.decideNow?.(subject, { kind: 'sql', dialect: 'postgres', text, preparedTexts });
    if (verdict === undefined) return undefined;
    // A review at a Query is a wait (or a refusal) only the review workflow can decide: `decide`, asked next, starts from this verdict.
    if (verdict.effect === 'review') {
      if (phase === 'parse') return verdict;
      reviewAhead.keep(text, verdict);
      return undefined;
    }
    remember(text, verdict);
    return verdict;
  }

  /** An Execute of a statement that needs review: the statement with its bound values is what gets approved. */
  async function review(text: string, params: readonly (string | null)[], verdict: RelayVerdict): Promise<RelayVerdict> {
    return gate(inlineParameters(await initSql(), text, params), verdict);
  }

  async function gate(text: string, policyVerdict: RelayVerdict): Promise<RelayVerdict> {
    let verdict = policyVerdict;
    if (verdict.effect === 'review') {
      const review = verdict;
      hold = new AbortController();
      // The reason rides in a leading comment; approvers see it apart, and it is not part of "the same statement".
      const { justification, statement } = extractJustification(await initSql(), text);
      const passed = await reviewForSession(core, who.user, connection.name, {
        text: statement,
        justification,
        justificationHint,
        verdict: review,
        cancel: hold.signal,
        ended: sessionEnded,
        onWaiting: (review) => {
          const where = core.config.reviews.publicUrl ? `${core.config.reviews.publicUrl.replace(/\/$/, '')}/reviews/${review.id}` : `warden reviews show ${review.id}`;
          notify(noticeResponse({ severity: 'NOTICE', code: '00000', message: `waiting for approval: review ${review.id} (${where}); cancel to give up` }));
        },
      });
      hold = undefined;
      verdict = passed.cancelled ? { ...passed, sqlstate: '57014' } : passed;
    }
    remember(text, verdict);
    return verdict;
  }

  /** SQL-level PREPARE: remember what the name stands for, so a later EXECUTE is judged by it. */
  function remember(text: string, verdict: RelayVerdict): void {
    if (verdict.effect === 'allow' || verdict.effect === 'mask') {
      for (const st of verdict.statements ?? []) if (st.preparedName) preparedTexts.set(st.preparedName, text);
    }
  }

  return {
    decide,
    decideNow,
    review,
    /** Ends a hold in progress; false when nothing is held (the cancel then goes to the target). */
    cancelHeld(): boolean {
      if (!hold) return false;
      hold.abort(new Error('cancelled by the client'));
      return true;
    },
  };
}
