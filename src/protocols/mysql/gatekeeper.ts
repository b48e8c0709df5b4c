import type { Identity } from '../../core/identity/types.ts';
import type { PolicySubject, Verdict } from '../../core/policy/types.ts';
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
  const subject = (): PolicySubject => ({ user: who.user.name, groups: who.user.groups, connection: connection.name, connectionTags: connection.tags, at: core.clock.now() });

  /** Never returns `review`: the result is allow, mask or block. */
  async function decide(text: string, phase: 'query' | 'prepare'): Promise<Verdict> {
    const verdict = await core.policy.decide(subject(), { kind: 'sql', dialect: 'mysql', text });
    if (verdict.effect !== 'review') return verdict;
    if (phase === 'prepare') {
      // fail closed: binary parameters are not decoded yet, so an approval could not say which values it covers.
      return { effect: 'block', rules: verdict.rules, message: `${verdict.message}; a statement that needs review cannot be prepared through Warden yet: send it as a plain (text) query` };
    }
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

  return { decide };
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
