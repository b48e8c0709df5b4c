import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { WardenError } from '../../core/errors.ts';
import { authenticate } from '../../core/identity/authenticate.ts';
import type { Identity } from '../../core/identity/types.ts';
import type { CoreServices } from '../../core/services.ts';
import { IdParams } from '../schemas.ts';
import type { Api } from '../types.ts';
import { messagePage, sendPage } from '../web/html.ts';
import { reviewPage } from '../web/review-html.ts';
import { csrfFor, csrfMatches, sessionToken } from '../web/session.ts';
import type { ZodTypeProvider } from '../zod.ts';
import { actorOf, mustSee } from './reviews.ts';
import { acceptForms } from '../forms.ts';

const DecisionBody = z.object({
  csrf: z.string().max(200).optional(),
  decision: z.enum(['approve', 'deny']),
  reason: z.string().max(1000).optional(),
});

/**
 * The review page behind notification links (issue 4): a person clicks the
 * link, signs in through SSO when they have no session, and approves or
 * denies with a CSRF-protected form. Decisions go to the same
 * `ReviewService.decide` as the API, so the same rules hold (no
 * self-approval, approver groups, N approvals).
 * Public at the gate: the page itself sends an anonymous browser to sign in.
 */
export async function reviewPageRoutes(app: Api, core: CoreServices): Promise<void> {
  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<ZodTypeProvider>();
    acceptForms(scope);
    const tags = ['reviews'];

    scope.get(
      '/reviews/:id',
      { config: { access: 'public' }, schema: { tags, summary: 'The review as a web page with Approve / Deny (signs the browser in first)', params: IdParams } },
      async (req, reply) => {
        const token = sessionToken(req);
        const who = await signedIn(core, req, token);
        if (who === undefined || token === undefined) return signIn(core, reply, `/reviews/${encodeURIComponent(req.params.id)}`);
        try {
          const review = await core.reviews.get(req.params.id);
          await mustSee(core, who, review);
          return sendPage(reply, 200, reviewPage(review, { viewer: who.user.name, csrf: csrfFor(token) }));
        } catch (err) {
          return errorPage(reply, err);
        }
      },
    );

    scope.post(
      '/reviews/:id/decision',
      { config: { access: 'public' }, schema: { tags, summary: 'The review page\'s form: approve or deny (session cookie and CSRF value required)', params: IdParams, body: DecisionBody } },
      async (req, reply) => {
        const token = sessionToken(req);
        const who = await signedIn(core, req, token);
        const pagePath = `/reviews/${encodeURIComponent(req.params.id)}`;
        // No session: back to the page, which sends the browser to sign in. Nothing is decided.
        if (who === undefined || token === undefined) return reply.redirect(pagePath, 303);
        // fail closed: a form not rendered by our page for this session decides nothing.
        if (!csrfMatches(token, req.body.csrf)) {
          req.log.warn({ event: 'review_csrf_refused', review: req.params.id, user: who.user.name }, 'review decision refused: missing or wrong CSRF value');
          await core.audit.record({ type: 'review.decided', outcome: 'failure', actor: who.user.name, subject: req.params.id, detail: { via: 'web', decision: req.body.decision, reason: 'missing or wrong CSRF value' } });
          return messagePage(reply, 403, 'Refused', 'This form was not sent from Warden\'s review page (missing or wrong CSRF value); open the review link again and decide there.');
        }
        const reason = req.body.reason?.trim() ?? '';
        if (req.body.decision === 'deny' && reason === '') return messagePage(reply, 400, 'Reason needed', 'Denying needs a reason; go back and say why.');
        try {
          const review = await core.reviews.decide(req.params.id, actorOf(who), req.body.decision, reason === '' ? null : reason);
          req.log.info({ event: 'review_decided', review: review.id, by: who.user.name, decision: req.body.decision, status: review.status, via: 'web' }, 'review decided');
          await core.audit.record({ type: 'review.decided', outcome: 'success', actor: who.user.name, subject: review.id, detail: { via: 'web', decision: req.body.decision, status: review.status } });
          return reply.redirect(pagePath, 303);
        } catch (err) {
          const detail = { via: 'web', decision: req.body.decision, reason: err instanceof WardenError ? err.message.slice(0, 300) : 'internal error' };
          await core.audit.record({ type: 'review.decided', outcome: 'failure', actor: who.user.name, subject: req.params.id, detail });
          return errorPage(reply, err);
        }
      },
    );
  });
}

/** The session's identity, or undefined for no session or one that no longer verifies (expired, revoked, groups withdrawn). */
async function signedIn(core: CoreServices, req: FastifyRequest, token: string | undefined): Promise<Identity | undefined> {
  if (token === undefined) return undefined;
  try {
    return await authenticate(core, token);
  } catch (err) {
    req.log.info({ err: (err as Error).message }, 'web session not accepted; signing in again');
    return undefined;
  }
}

/** Off to SSO: OIDC when configured, else SAML (SP-initiated, `next` as RelayState), else a page pointing at the CLI. */
async function signIn(core: CoreServices, reply: FastifyReply, next: string): Promise<FastifyReply> {
  if (core.oidcWeb !== undefined) return reply.redirect(`/auth/oidc/login?next=${encodeURIComponent(next)}`, 302);
  if (core.saml !== undefined) return reply.redirect(await core.saml.loginUrl(next), 302);
  const id = next.slice('/reviews/'.length);
  // 200, not 401: this is the answer for a browser here, a page to read, not a challenge it could meet.
  return messagePage(reply, 200, 'Sign in with the CLI', `This gateway has no single sign-on configured. Decide from the command line: warden reviews show ${decodeURIComponent(id)}, then warden reviews approve (or deny) ${decodeURIComponent(id)}.`);
}

function errorPage(reply: FastifyReply, err: unknown): FastifyReply {
  if (!(err instanceof WardenError) || err.kind === 'internal') throw err;
  const status = { access_denied: 403, bad_request: 400, not_found: 404, upstream_unavailable: 502, approval_required: 409, internal: 500 }[err.kind];
  return messagePage(reply, status, status === 403 ? 'Not allowed' : 'Cannot do that', err.message);
}
