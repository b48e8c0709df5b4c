import { InvalidArgumentError, type Command } from 'commander';
import type { ReviewView } from '../api/routes/reviews-schemas.ts';
import { WardenError } from '../core/errors.ts';
import { action, shortTime } from './output.ts';
import { approvalsOf, renderReview, reviewTable } from './reviews-render.ts';
import { apiCommand, connect, type ApiFlags } from './target.ts';

/** `warden reviews …`: the inbox of held statements and access requests, and the decisions on them. */
export function registerReviews(program: Command): void {
  const reviews = program.command('reviews').description('decide held statements and access requests: inbox, show, approve, deny, run');

  apiCommand(reviews.command('list').description('pending reviews you may decide, oldest first (--all: every review you can see)'))
    .option('--all', 'every review you can see (admins and auditors: all; users: their own and their inbox)')
    .option('--mine', 'only reviews you asked for')
    .option('--status <status>', 'only reviews in this status (pending, approved, denied, expired, cancelled, executed)')
    .action(
      action(async (flags: ApiFlags & { all?: boolean; mine?: boolean; status?: string }) => {
        const { api, out } = await connect(flags);
        const inboxOnly = !flags.all && !flags.mine && flags.status === undefined;
        const list = inboxOnly
          ? await api.reviewInbox()
          : await api.listReviews({ ...(flags.mine ? { mine: 'true' as const } : {}), ...(flags.status ? { status: flags.status as ReviewView['status'] } : {}) });
        out.result(list, () => (inboxOnly && list.length === 0 ? 'nothing waiting for you (see `warden reviews list --all`)' : reviewTable(list)));
      }),
    );

  apiCommand(reviews.command('show').description('show a review, its decisions and the time from notification to decision').argument('<id>'))
    .action(
      action(async (id: string, flags: ApiFlags) => {
        const { api, out } = await connect(flags);
        const review = await api.getReview(id);
        out.result(review, () => renderReview(review));
      }),
    );

  const decide = (name: 'approve' | 'deny' | 'force-approve', description: string, reasonRequired: boolean) => {
    const cmd = apiCommand(reviews.command(name).description(description).argument('<id>'));
    (reasonRequired ? cmd.requiredOption('--reason <text>', 'why (recorded and sent to the requester)') : cmd.option('--reason <text>', 'why (recorded)')).action(
      action(async (id: string, flags: ApiFlags & { reason?: string }) => {
        const { api, out } = await connect(flags);
        const review = await api.decideReview(id, name, flags.reason);
        out.result(review, () => decidedLine(review, name));
      }),
    );
  };
  decide('approve', 'approve a pending review (never your own)', false);
  decide('deny', 'deny a pending review, saying why', true);
  decide('force-approve', 'break-glass: approve at once (break-glass group only; loudly audited)', true);

  apiCommand(reviews.command('run').description('how to run an approved statement (queue mode): send the same statement on the same connection').argument('<id>'))
    .option('--psql', 'print a ready psql command line')
    .option('--pg-host <host>', 'gateway PostgreSQL host for --psql (default: the API host)')
    .option('--pg-port <port>', 'gateway PostgreSQL port for --psql', parsePort, 15432)
    .action(
      action(async (id: string, flags: ApiFlags & { psql?: boolean; pgHost?: string; pgPort: number }) => {
        const { api, out } = await connect(flags);
        const [review, me] = await Promise.all([api.getReview(id), api.whoami()]);
        mustBeRunnable(review, me.user.name);
        const psql = psqlLine(review, me.user.name, flags.pgHost ?? new URL(api.url).hostname, flags.pgPort);
        out.result({ review: review.id, connection: review.connection, user: me.user.name, statement: review.text, validUntil: review.validUntil, runsLeft: review.maxRuns - review.runs, ...(flags.psql ? { psql } : {}) }, () => [
          `review ${review.id} is approved: run the same statement as ${me.user.name} on connection ${review.connection}`,
          `before ${shortTime(review.validUntil)} (${review.maxRuns - review.runs} run${review.maxRuns - review.runs === 1 ? '' : 's'} left); the gateway lets it through then.`,
          '',
          review.text ?? '',
          '',
          ...(review.text?.includes('****')
            ? ['Values that looked sensitive are masked (****) in this copy: send your original statement, with its real values.']
            : []),
          'The gateway matches the exact text (same literals) from the same user on the same connection; any other',
          'statement is judged by policy as usual.',
          ...(flags.psql ? ['', psql] : []),
        ]);
      }),
    );
}

function decidedLine(r: ReviewView, decision: string): string {
  const verb = decision === 'deny' ? 'denied' : decision === 'approve' ? 'approved' : 'force-approved';
  if (r.status === 'pending') return `${verb} ${r.id}; still pending: ${approvalsOf(r)} approvals so far`;
  const until = r.validUntil ? ` until ${shortTime(r.validUntil)}` : '';
  return `${verb} ${r.id}: now ${r.status}${r.status === 'approved' ? until : ''}`;
}

/** Only the requester's own approved, unexpired queue-mode review can be re-sent; anything else gets the reason. */
function mustBeRunnable(r: ReviewView, me: string): void {
  if (r.kind === 'access') {
    throw new WardenError('bad_request', `${r.id} is an access request${r.status === 'approved' ? `: connect to ${r.connection} as usual until ${shortTime(r.validUntil)}` : ` and is ${r.status}`}; there is no statement to run`);
  }
  if (r.requester !== me) throw new WardenError('access_denied', `${r.id} was requested by ${r.requester}; only they can run it`);
  if (r.status !== 'approved') {
    const next = r.status === 'pending' ? `it needs ${r.approvalsRequired} approval(s), has ${approvalsOf(r)}; wait, or ask ${r.approverGroups.join(', ') || 'an approver'}` : 'ask for a new review by running the statement again';
    throw new WardenError('bad_request', `${r.id} is ${r.status}, not approved: ${next}`);
  }
  if (r.mode === 'hold') {
    throw new WardenError('bad_request', `${r.id} held its session and ran there when it was approved; running the statement again asks for a new review`);
  }
  if (r.validUntil !== null && Date.parse(r.validUntil) <= Date.now()) {
    throw new WardenError('bad_request', `the approval of ${r.id} lapsed at ${shortTime(r.validUntil)}; run the statement again to ask for a new review`);
  }
  if (r.runs >= r.maxRuns) throw new WardenError('bad_request', `${r.id} has been run ${r.runs} time(s), all it allows; run the statement again to ask for a new review`);
}

/** A psql line that sends the statement through the gateway; the token stays in the environment, never on the command line. */
export function psqlLine(r: ReviewView, user: string, host: string, port: number): string {
  const conninfo = `host=${host} port=${port} dbname=${r.connection} user=${user}`;
  return `PGPASSWORD="$WARDEN_TOKEN" psql ${shellQuote(conninfo)} -c ${shellQuote(r.text ?? '')}`;
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a port from 1 to 65535.');
  return n;
}
