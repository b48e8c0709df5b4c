import type { Identity } from '../../core/identity/types.ts';
import { sessionSubject } from '../../core/policy/subject.ts';
import { VerdictAhead } from '../../core/policy/verdict-ahead.ts';
import type { Verdict } from '../../core/policy/types.ts';
import { reviewForSession } from '../../core/review/gate.ts';
import type { CoreServices } from '../../core/services.ts';

/**
 * Decides each statement of one MySQL session: policy, then — for `review` —
 * the review workflow (an access grant, a queued approval, or a hold). A
 * held statement simply waits: MySQL has no notice packet to tell the client
 * what it waits for (the review id is logged and visible through the API),
 * and the wait ends when the review is decided or the session ends.
 */
export function createGatekeeper(core: CoreServices, who: Identity, connection: { name: string; tags: string[] }, sessionEnded: AbortSignal) {
  const log = core.log.child({ protocol: 'mysql', user: who.user.name, connection: connection.name });
  const subject = sessionSubject(core.clock, who.user, connection);
  const reviewAhead = new VerdictAhead<Verdict>();

  /**
   * A query's result is allow, mask or block. A prepare that needs review is
   * let through as `review` (nothing runs at prepare): each execute is then
   * judged with its own bound values by `review()`.
   */
  async function decide(text: string, phase: 'query' | 'prepare'): Promise<Verdict> {
    const verdict = reviewAhead.take(text) ?? (await core.policy.decide(subject, { kind: 'sql', dialect: 'mysql', text }));
    if (verdict.effect !== 'review' || phase === 'prepare') return verdict;
    return review(text, verdict);
  }

  /** What `decide` gives, when policy answers at once and no review is to wait for; undefined: ask `decide`. */
  function decideNow(text: string, phase: 'query' | 'prepare'): Verdict | undefined {
    const verdict = core.policy.decideNow?.(subject, { kind: 'sql', dialect: 'mysql', text });
    if (verdict?.effect !== 'review' || phase === 'prepare') return verdict;
    // A review at a query is a wait only the review workflow can decide: `decide`, asked next, starts from this verdict.
    reviewAhead.keep(text, verdict);
    return undefined;
  }

  /** The review workflow for `text` (an execute's statement with its values inlined): allow, mask or block. */
  async function review(text: string, verdict: Extract<Verdict, { effect: 'review' }>): Promise<Verdict> {
    const { justification, statement } = extractJustification(text);
    return reviewForSession(core, who.user, connection.name, {
      text: statement,
      justification,
      justificationHint,
      verdict,
      // A MySQL client cannot cancel a wait on this connection (KILL QUERY comes on another one): only the session's end ends it.
      cancel: new AbortController().signal,
      ended: sessionEnded,
      onWaiting: (review) => log.info({ review: review.id }, 'statement held for review'),
    });
  }

  return { decide, decideNow, review };
}

export const justificationHint = 'start the statement with a comment giving the reason, e.g. /* justification: INC-123 rotate keys */ DELETE …';

/**
 * A leading `/* justification: … *\/` comment (MySQL comments do not nest: the
 * first `*\/` ends it). Executable comments (`/*!`, `/*M!`) never count, and
 * nothing else is taken for one: the rest of the text is what is reviewed.
 */
const leading = /^\s*\/\*\s*justification\s*:((?:(?!\*\/)[\s\S])*)\*\//i;

export function extractJustification(text: string): { justification: string | null; statement: string } {
  const m = leading.exec(text);
  const justification = m?.[1]?.replace(/\s+/g, ' ').trim();
  if (!m || !justification) return { justification: null, statement: text };
  return { justification, statement: text.slice(m[0].length).trim() };
}
