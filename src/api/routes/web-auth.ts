import { z } from 'zod';
import { WardenError } from '../../core/errors.ts';
import { verifyToken } from '../../core/identity/tokens.ts';
import type { CoreServices } from '../../core/services.ts';
import type { Api } from '../types.ts';
import type { ZodTypeProvider } from '../zod.ts';
import { esc, messagePage, page, sendPage } from '../web/html.ts';
import { clearSession, csrfMatches, safeNext, sessionToken, setSession, setStateCookie, stateMatches } from '../web/session.ts';
import { acceptForms } from '../forms.ts';

const LoginQuery = z.object({ next: z.string().max(1024).optional() });
const LogoutBody = z.object({ csrf: z.string().max(200).optional() }).optional();

/**
 * Browser sign-in with OIDC (authorization code + PKCE): /auth/oidc/login
 * sends the browser to the IdP, /auth/oidc/callback finishes the sign-in and
 * sets the session cookie, then goes to `next` (a path on this gateway only).
 * Public: the IdP authenticates; refused sign-ins are logged with the reason.
 */
export async function webAuthRoutes(app: Api, core: CoreServices): Promise<void> {
  const tags = ['auth'];
  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<ZodTypeProvider>();
    acceptForms(scope);

    scope.get(
      '/auth/oidc/login',
      { config: { access: 'public' }, schema: { tags, summary: 'Browser sign-in: redirects to the identity provider (authorization code + PKCE); `next` is a path on this gateway', querystring: LoginQuery } },
      async (req, reply) => {
        if (core.oidcWeb === undefined) return messagePage(reply, 404, 'Sign-in unavailable', 'OIDC sign-in is not configured on this gateway; an admin sets identity.oidc (issuer, clientId…).');
        try {
          const url = await core.oidcWeb.start(safeNext(req.query.next));
          setStateCookie(reply, req, core.config, new URL(url).searchParams.get('state') ?? '');
          return reply.redirect(url, 302);
        } catch (err) {
          req.log.warn({ err }, 'oidc web sign-in could not start');
          return messagePage(reply, statusFor(err), 'Sign-in failed', messageOf(err));
        }
      },
    );

    scope.get(
      '/auth/oidc/callback',
      { config: { access: 'public' }, schema: { tags, summary: 'Where the identity provider sends the browser back; sets the session cookie and redirects to `next`' } },
      async (req, reply) => {
        if (core.oidcWeb === undefined) return messagePage(reply, 404, 'Sign-in unavailable', 'OIDC sign-in is not configured on this gateway.');
        const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
        let r;
        try {
          // fail closed: a callback this browser did not start (a link someone else got from the IdP) signs nobody in here.
          if (!stateMatches(req, query.get('state'))) {
            throw new WardenError('bad_request', 'this sign-in was not started in this browser (state mismatch); start the sign-in again here');
          }
          r = await core.oidcWeb.callback(query);
        } catch (err) {
          // The refusal with its reason (the library's cause) goes to the log; the page says what to do next.
          req.log.warn({ event: 'oidc_web_signin_refused', err, cause: err instanceof Error ? err.cause : undefined }, 'oidc web sign-in refused');
          // An IdP that is merely unreachable is not a refused sign-in.
          if (!(err instanceof WardenError && err.kind === 'upstream_unavailable')) {
            await core.audit.record({ type: 'login.oidc', outcome: 'failure', actor: null, detail: { flow: 'web', reason: messageOf(err).slice(0, 300) } });
          }
          return messagePage(reply, statusFor(err), 'Sign-in refused', `${messageOf(err)}`);
        }
        req.log.info({ event: 'oidc_web_signin', user: r.user.name, groups: r.user.groups, idpGroups: r.idpGroups }, 'oidc web sign-in');
        await core.audit.record({ type: 'login.oidc', outcome: 'success', actor: r.user.name, detail: { flow: 'web', groups: r.user.groups, idpGroups: r.idpGroups } });
        setSession(reply, req, core.config, r.token, r.expiresAt, core.clock.now());
        void reply.header('cache-control', 'no-store');
        return reply.redirect(r.next, 303);
      },
    );

    scope.post(
      '/auth/logout',
      { config: { access: 'public' }, schema: { tags, summary: 'Ends the browser session: revokes its token (with the CSRF value) and clears the cookie', body: LogoutBody } },
      async (req, reply) => {
        const token = sessionToken(req);
        if (token !== undefined && csrfMatches(token, req.body?.csrf)) {
          try {
            const who = await verifyToken(core, token);
            await core.tokens.revoke(who.tokenId, core.clock.now());
            req.log.info({ event: 'web_signout', user: who.user.name }, 'web sign-out');
            await core.audit.record({ type: 'token.revoked', outcome: 'success', actor: who.user.name, subject: who.tokenId, detail: { reason: 'web sign-out' } });
          } catch {
            // An already invalid session: clearing the cookie is all there is to do.
          }
        }
        clearSession(reply, req, core.config);
        return sendPage(reply, 200, page('Signed out', `<p>You are signed out of Warden.</p><p><a href="${esc('/auth/oidc/login')}">Sign in again</a></p>`));
      },
    );
  });
}

function statusFor(err: unknown): number {
  if (!(err instanceof WardenError)) return 500;
  return { access_denied: 401, bad_request: 400, not_found: 404, upstream_unavailable: 502, approval_required: 500, internal: 500 }[err.kind];
}

/** Internal errors keep their detail in the log. */
function messageOf(err: unknown): string {
  return err instanceof WardenError && err.kind !== 'internal' ? err.message : 'internal gateway error; the incident was logged';
}
