import type { ReviewView } from '../api/routes/reviews-schemas.ts';
import { shortTime, table } from './output.ts';

/** Human rendering of reviews for `warden reviews …` and `warden request`. */
export function reviewTable(list: ReviewView[]): string {
  if (list.length === 0) return 'no reviews';
  return table(
    ['ID', 'STATUS', 'KIND', 'REQUESTER', 'CONNECTION', 'CREATED', 'APPROVALS', 'WHAT'],
    list.map((r) => [r.id, r.status, r.kind, r.requester, r.connection, shortTime(r.createdAt), approvalsOf(r), clip(what(r), 60)]),
  );
}

export function renderReview(r: ReviewView): string[] {
  const lines = [
    `review      ${r.id}: ${r.kind === 'access' ? 'access request' : `command review (${r.mode} mode)`}, ${r.status}`,
    `requester   ${r.requester}${r.requesterGroups.length > 0 ? ` (${r.requesterGroups.join(', ')})` : ''}`,
    `connection  ${r.connection}`,
    r.kind === 'access' ? `access for  ${duration(r.accessForMs ?? 0)}` : `statement   ${(r.text ?? '').trim().replaceAll('\n', `\n${' '.repeat(12)}`)}`,
  ];
  if (r.justification) lines.push(`reason      ${r.justification}`);
  if (r.rules.length > 0) lines.push(`rules       ${r.rules.join(', ')}`);
  lines.push(`approvers   ${approversOf(r)}`);
  lines.push(`created     ${shortTime(r.createdAt)}; notified ${r.notifiedAt ? shortTime(r.notifiedAt) : 'not yet'}; expires ${shortTime(r.expiresAt)}`);
  if (r.decisions.length > 0) lines.push('decisions');
  for (const d of r.decisions) {
    lines.push(`  ${shortTime(d.at)}  ${d.decision} by ${d.by}${d.reason ? `: ${d.reason}` : ''}`);
  }
  if (r.decidedAt) {
    lines.push(`decided     ${shortTime(r.decidedAt)}${r.decisionLatencyMs === null ? '' : `, ${duration(r.decisionLatencyMs)} after notification`}`);
  }
  if (r.validUntil) lines.push(`valid until ${shortTime(r.validUntil)}${r.kind === 'command' ? `; runs ${r.runs} of ${r.maxRuns}` : ''}`);
  for (const e of r.notifyErrors) lines.push(`notify error ${e}`);
  return lines;
}

/** `1 of 2`, with the groups when each must approve. */
export function approvalsOf(r: ReviewView): string {
  const given = r.decisions.filter((d) => d.decision !== 'deny').length;
  return `${given} of ${r.approvalsRequired}`;
}

function approversOf(r: ReviewView): string {
  const groups = r.approverGroups.join(', ') || 'none named';
  const n = r.approvalsRequired;
  return r.eachGroup ? `one approval from each of: ${groups}` : `${n} approval${n === 1 ? '' : 's'} from: ${groups}`;
}

const what = (r: ReviewView) => (r.kind === 'access' ? `access for ${duration(r.accessForMs ?? 0)}: ${r.justification ?? ''}` : (r.text ?? '').replace(/\s+/g, ' ').trim());

const clip = (v: string, n: number) => (v.length > n ? `${v.slice(0, n - 1)}…` : v);

/** 90000 → `1m30s`; under a minute with one decimal: `12.5s`. */
export function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
