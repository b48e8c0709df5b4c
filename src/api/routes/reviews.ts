import type { FastifyRequest } from 'fastify';
import { WardenError } from '../../core/errors.ts';
import type { Identity } from '../../core/identity/types.ts';
import type { Actor } from '../../core/review/service-types.ts';
import type { Review } from '../../core/review/types.ts';
import type { CoreServices } from '../../core/services.ts';
import { caller } from '../auth.ts';
import { ErrorView, IdParams } from '../schemas.ts';
import type { Api } from '../types.ts';
import { AccessRequestBody, ApproveBody, ReasonBody, ReviewsQuery, ReviewView, reviewView } from './reviews-schemas.ts';

/**
 * Just-in-time reviews over HTTP: the inbox, one review, decisions, and
 * access requests. Any signed-in user may call these; who may decide what is
 * the review service's call (separation of duties, approver groups,
 * break-glass), and its refusals come back as 403 with its message.
 */
export function reviewRoutes(app: Api, core: CoreServices): void {
  const tags = ['reviews'];
  const any = { access: 'any' as const };

  app.get(
    '/api/v1/reviews',
    {
      config: any,
      schema: {
        tags,
        summary: 'List reviews, oldest first: admins and auditors see all; a user sees their own requests and their inbox',
        querystring: ReviewsQuery,
        response: { 200: ReviewView.array() },
      },
    },
    async (req) => (await visibleReviews(core, caller(req), req.query)).map(reviewView),
  );

  app.get(
    '/api/v1/reviews/inbox',
    { config: any, schema: { tags, summary: 'Pending reviews the caller may decide, oldest first', response: { 200: ReviewView.array() } } },
    async (req) => (await core.reviews.inbox(actorOf(caller(req)))).map(reviewView),
  );

  app.get(
    '/api/v1/reviews/:id',
    { config: any, schema: { tags, summary: 'Show a review with its decisions', params: IdParams, response: { 200: ReviewView, 403: ErrorView, 404: ErrorView } } },
    async (req) => {
      const review = await core.reviews.get(req.params.id);
      await mustSee(core, caller(req), review);
      return reviewView(review);
    },
  );

  const decide = (decision: 'approve' | 'deny' | 'force-approve') => async (req: FastifyRequest<{ Params: { id: string }; Body: { reason?: string } | undefined }>) => {
    const identity = caller(req);
    const review = await core.reviews.decide(req.params.id, actorOf(identity), decision, req.body?.reason ?? null);
    req.log.info({ review: review.id, by: identity.user.name, decision, status: review.status }, 'review decided');
    return reviewView(review);
  };
  const decided = { 200: ReviewView, 400: ErrorView, 403: ErrorView, 404: ErrorView };
  app.post(
    '/api/v1/reviews/:id/approve',
    { config: { ...any, audit: 'review.decided' }, schema: { tags, summary: 'Approve a pending review (never your own)', params: IdParams, body: ApproveBody, response: decided } },
    decide('approve'),
  );
  app.post(
    '/api/v1/reviews/:id/deny',
    { config: { ...any, audit: 'review.decided' }, schema: { tags, summary: 'Deny a pending review, saying why', params: IdParams, body: ReasonBody, response: decided } },
    decide('deny'),
  );
  app.post(
    '/api/v1/reviews/:id/force-approve',
    {
      config: { ...any, audit: 'review.decided' },
      schema: { tags, summary: 'Break-glass: approve at once (break-glass group only; loudly audited and notified)', params: IdParams, body: ReasonBody, response: decided },
    },
    decide('force-approve'),
  );

  app.post(
    '/api/v1/access-requests',
    {
      config: any,
      schema: {
        tags,
        summary: 'Ask for time-boxed access to a connection (`for`: e.g. "2h" or milliseconds); returns the access review',
        body: AccessRequestBody,
        response: { 201: ReviewView, 400: ErrorView, 404: ErrorView },
      },
    },
    async (req, reply) => {
      const { connection, for: forMs, reason, closeSessionsOnExpiry } = req.body;
      if (!(await core.connections.byName(connection))) {
        throw new WardenError('not_found', `no connection named ${connection}; ask an admin for the right name`);
      }
      const review = await core.reviews.requestAccess({
        requester: actorOf(caller(req)),
        connection,
        forMs,
        reason,
        ...(closeSessionsOnExpiry === undefined ? {} : { closeSessionsOnExpiry }),
      });
      return reply.status(201).send(reviewView(review));
    },
  );
}

/** The token's user as the review service sees them. */
export const actorOf = ({ user }: Identity): Actor => ({ name: user.name, groups: user.groups, role: user.role });

const seesAll = (who: Identity) => who.user.role === 'admin' || who.user.role === 'auditor';

async function visibleReviews(core: CoreServices, who: Identity, q: { status?: Review['status']; mine?: 'true' | 'false'; limit: number }): Promise<Review[]> {
  const status = q.status === undefined ? {} : { status: q.status };
  const mine = () => core.reviews.list({ ...status, requester: who.user.name, limit: q.limit });
  if (q.mine === 'true') return mine();
  if (seesAll(who)) return core.reviews.list({ ...status, limit: q.limit });
  // The inbox holds pending reviews only, so a filter on another status leaves it out.
  const [own, inbox] = await Promise.all([mine(), q.status === undefined || q.status === 'pending' ? core.reviews.inbox(actorOf(who)) : []]);
  const byId = new Map([...own, ...inbox].map((r) => [r.id, r]));
  return [...byId.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).slice(0, q.limit);
}

/** A review is visible to admins, auditors, its requester, its deciders and the groups that may decide it. */
export async function mustSee(core: CoreServices, who: Identity, r: Review): Promise<void> {
  const { name, groups } = who.user;
  if (seesAll(who) || r.requester === name || r.decisions.some((d) => d.by === name)) return;
  if (r.policy.approverGroups.some((g) => groups.includes(g))) return;
  if (r.status === 'pending' && (await core.reviews.inbox(actorOf(who))).some((x) => x.id === r.id)) return;
  throw new WardenError('access_denied', `review ${r.id} is not yours to see: only its requester, its approvers, admins and auditors can`);
}
