import { InvalidArgumentError, type Command } from 'commander';
import { parseDuration } from './duration.ts';
import { action, shortTime, table } from './output.ts';
import { apiCommand, connect, type ApiFlags } from './target.ts';

/** `warden audit list`: who signed in (or was refused), and who changed tokens, users, connections, policy and reviews. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the audit log of sign-ins and changes to Warden (auditors and admins)');

  apiCommand(audit.command('list').description('list audit events, newest first'))
    .option('--since <time>', 'from this time: ISO-8601 (2026-01-31T12:00:00Z) or a duration ago (30m, 12h, 7d)', parseTime)
    .option('--until <time>', 'before this time: ISO-8601 or a duration ago', parseTime)
    .option('--actor <name>', 'only events by this user')
    .option('--type <type>', 'one type (login.saml) or a family (login, token, user, connection, policy, review)')
    .option('--limit <n>', 'at most this many (1-1000)', parseLimit, 100)
    .action(
      action(async (flags: ApiFlags & { since?: string; until?: string; actor?: string; type?: string; limit: number }) => {
        const { api, out } = await connect(flags);
        const list = await api.listAudit({
          limit: flags.limit,
          ...(flags.since ? { since: flags.since } : {}),
          ...(flags.until ? { until: flags.until } : {}),
          ...(flags.actor ? { actor: flags.actor } : {}),
          ...(flags.type ? { type: flags.type } : {}),
        });
        out.result(list, () =>
          table(
            ['TIME', 'TYPE', 'OUTCOME', 'ACTOR', 'SUBJECT', 'DETAIL'],
            list.map((e) => [shortTime(e.at), e.type, e.outcome, e.actor ?? '-', e.subject ?? '-', detail(e.detail)]),
          ),
        );
      }),
    );
}

/** One line of `key=value` facts, cut so a table row stays readable. */
function detail(d: Record<string, unknown>): string {
  const text = Object.entries(d)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

function parseTime(value: string): string {
  if (!Number.isNaN(Date.parse(value)) && /\d{4}-\d{2}-\d{2}/.test(value)) return new Date(value).toISOString();
  try {
    return new Date(Date.now() - parseDuration(value)).toISOString();
  } catch {
    throw new InvalidArgumentError('give an ISO-8601 time (2026-01-31T12:00:00Z) or a duration ago (30m, 12h, 7d)');
  }
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('a whole number from 1 to 1000');
  return n;
}
