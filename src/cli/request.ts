import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { ReviewView } from '../api/routes/reviews-schemas.ts';
import { WardenError } from '../core/errors.ts';
import type { ApiClient } from './client.ts';
import { parseDuration } from './duration.ts';
import { action, shortTime } from './output.ts';
import { duration } from './reviews-render.ts';
import { apiCommand, connect, type ApiFlags } from './target.ts';

/** `warden request <connection>`: ask for time-boxed access, and optionally wait for the decision. */
export function registerRequest(program: Command): void {
  apiCommand(
    program
      .command('request')
      .description('ask for time-boxed access to a connection; approvers are notified')
      .argument('<connection>', 'the connection you need'),
  )
    .requiredOption('--for <duration>', 'how long, e.g. 30m, 2h, 1h30m')
    .requiredOption('--reason <text>', 'why you need it (shown to approvers, recorded)')
    .option('--close-sessions', 'end my open sessions on the connection when the access expires')
    .option('--wait', 'wait until the request is decided (exit code 1 unless approved)')
    .option('--poll <duration>', 'with --wait: how often to ask the API', '2s')
    .addHelpText('after', '\nExample:\n  warden request prod-pg --for 2h --reason "INC-123: fix stuck orders" --wait')
    .action(
      action(async (connection: string, flags: ApiFlags & { for: string; reason: string; closeSessions?: boolean; wait?: boolean; poll: string }) => {
        const { api, out } = await connect(flags);
        const pollMs = parsePoll(flags.poll);
        const review = await api.requestAccess({
          connection,
          for: parseDuration(flags.for),
          reason: flags.reason,
          ...(flags.closeSessions ? { closeSessionsOnExpiry: true } : {}),
        });
        if (!flags.wait) {
          out.result(review, () => [review.id, `asked for ${duration(review.accessForMs ?? 0)} on ${connection}; follow it with \`warden reviews show ${review.id}\``]);
          return;
        }
        out.note(`${review.id}: waiting for a decision on ${duration(review.accessForMs ?? 0)} of access to ${connection} (Ctrl-C stops waiting; the request stays open)`);
        const final = await waitDecided(api, review, pollMs);
        out.result(final, () => outcome(final));
        if (final.status !== 'approved') process.exitCode = 1;
      }),
    );
}

/** Polls until the review leaves `pending`; the gateway moves it to `expired` when nobody decides. */
async function waitDecided(api: ApiClient, review: ReviewView, pollMs: number): Promise<ReviewView> {
  let current = review;
  while (current.status === 'pending') {
    await sleep(pollMs);
    current = await api.getReview(review.id);
  }
  return current;
}

function outcome(r: ReviewView): string {
  const last = r.decisions.at(-1);
  if (r.status === 'approved') return `${r.id} approved by ${r.decisions.filter((d) => d.decision !== 'deny').map((d) => d.by).join(', ')}: access to ${r.connection} until ${shortTime(r.validUntil)}`;
  if (r.status === 'denied') return `${r.id} denied by ${last?.by ?? 'an approver'}${last?.reason ? `: ${last.reason}` : ''}`;
  return `${r.id} ended ${r.status} without approval; ask again with \`warden request\``;
}

function parsePoll(text: string): number {
  const ms = parseDuration(text);
  if (ms > 60_000) throw new WardenError('bad_request', `--poll ${text} is too slow to be useful; use at most 1m`);
  return ms;
}
