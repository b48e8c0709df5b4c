import type { Review } from '../../core/review/types.ts';
import { esc, page } from './html.ts';

/**
 * The review page an approver reaches from a notification: who asks, where,
 * the statement (literals already masked by the review service, exactly as
 * approvers see it in the API), the reason, the decisions so far, and — while
 * pending — Approve and Deny forms carrying the session's CSRF value.
 */
export function reviewPage(r: Review, opts: { viewer: string; csrf: string; notice?: string }): string {
  const need = r.policy.eachGroup ? `one from each of ${r.policy.approverGroups.join(', ')}` : `${r.policy.approvals} from ${r.policy.approverGroups.join(', ') || '(no group)'}`;
  const facts: [string, string][] = [
    ['Status', r.status],
    ['Requester', `${r.requester}${r.requesterGroups.length ? ` (${r.requesterGroups.join(', ')})` : ''}`],
    ['Connection', r.connection],
    ['Kind', r.kind === 'command' ? 'run a statement' : `access for ${Math.round((r.accessForMs ?? 0) / 60_000)} min`],
    ['Reason', r.justification ?? '(none given)'],
    ['Approvals needed', need],
    ['Expires', r.expiresAt.toISOString()],
  ];
  if (r.rules.length > 0) facts.push(['Rules', r.rules.join(', ')]);
  const dl = facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  const statement = r.text === null ? '' : `<h2>Statement</h2><pre>${esc(r.text)}</pre>`;
  const decisions = r.decisions.length === 0
    ? '<p>No decisions yet.</p>'
    : `<ul>${r.decisions.map((d) => `<li>${esc(d.decision)} by ${esc(d.by)} at ${esc(d.at.toISOString())}${d.reason ? `: ${esc(d.reason)}` : ''}</li>`).join('')}</ul>`;
  const action = `/reviews/${encodeURIComponent(r.id)}/decision`;
  const csrf = `<input type="hidden" name="csrf" value="${esc(opts.csrf)}">`;
  const forms = r.status !== 'pending'
    ? ''
    : `<h2>Decide</h2>
<form id="approve" method="post" action="${esc(action)}">${csrf}<input type="hidden" name="decision" value="approve"><button type="submit">Approve</button></form>
<form id="deny" method="post" action="${esc(action)}">${csrf}<input type="hidden" name="decision" value="deny"><label>Reason for denying<textarea name="reason" required maxlength="1000"></textarea></label><button type="submit">Deny</button></form>`;
  const notice = opts.notice === undefined ? '' : `<p><strong>${esc(opts.notice)}</strong></p>`;
  return page(`Review ${r.id}`, `${notice}<dl>${dl}</dl>${statement}<h2>Decisions</h2>${decisions}${forms}
<p>Signed in as ${esc(opts.viewer)}.</p><form method="post" action="/auth/logout">${csrf}<button type="submit">Sign out</button></form>`);
}
