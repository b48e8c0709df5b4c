import type { ReviewNotice } from '../types.ts';

/**
 * The words every channel uses for a notice, so webhook, Slack and email say
 * the same thing. The statement text is already literal-masked by the service.
 */
export interface NoticeText {
  /** One line: subject, Slack fallback text. */
  title: string;
  /** "key: value" facts, in reading order. */
  facts: [string, string][];
  statement: string | null;
}

export function noticeText(n: ReviewNotice): NoticeText {
  const r = n.review;
  const what = r.kind === 'command' ? 'to run a statement' : `access for ${duration(r.accessForMs ?? 0)}`;
  const title =
    n.type === 'review_requested'
      ? `Review ${r.id}: ${r.requester} asks ${what} on ${r.connection}`
      : n.type === 'break_glass'
        ? `BREAK-GLASS: ${r.id} force-approved by ${lastDecider(n)} (${r.requester} on ${r.connection})`
        : `Review ${r.id} ${r.status}: ${r.requester} on ${r.connection}`;
  const need = r.policy.eachGroup ? `one from each of ${r.policy.approverGroups.join(', ')}` : `${r.policy.approvals} from ${r.policy.approverGroups.join(', ') || '(no group)'}`;
  const facts: [string, string][] = [
    ['Requester', `${r.requester}${r.requesterGroups.length ? ` (${r.requesterGroups.join(', ')})` : ''}`],
    ['Connection', r.connection],
    ['Reason', r.justification ?? '(none given)'],
    ['Approvals needed', need],
  ];
  if (r.rules.length > 0) facts.push(['Rules', r.rules.join(', ')]);
  if (n.type === 'review_requested') facts.push(['Expires', r.expiresAt.toISOString()]);
  for (const d of r.decisions) facts.push([`Decision by ${d.by}`, `${d.decision}${d.reason ? `: ${d.reason}` : ''} at ${d.at.toISOString()}`]);
  facts.push(['View', n.links.view]);
  if (n.type === 'review_requested') facts.push(['Approve', n.links.approve], ['Deny', n.links.deny]);
  return { title: oneLine(title), facts, statement: r.text };
}

function lastDecider(n: ReviewNotice): string {
  return n.review.decisions.at(-1)?.by ?? 'unknown';
}

/** Names come from the store, but a header must never be split by a newline. */
function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

export function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}
