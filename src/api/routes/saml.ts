import { z } from 'zod';
import { WardenError } from '../../core/errors.ts';
import type { SamlLogin } from '../../core/identity/saml/index.ts';
import type { CoreServices } from '../../core/services.ts';
import { ErrorView, UserView, userView } from '../schemas.ts';
import type { Api } from '../types.ts';
import { safeNext, setSession } from '../web/session.ts';
import type { ZodTypeProvider } from '../zod.ts';
import { acceptForms } from '../forms.ts';


/** The HTTP-POST binding: the IdP's auto-submitted form; RelayState is the page a browser sign-in was started for (other fields are ignored). */
const AcsBody = z.object({ SAMLResponse: z.string().min(1).max(512 * 1024), RelayState: z.string().max(1024).optional() });
const LoggedIn = z.object({ token: z.string(), user: UserView, expiresAt: z.string(), idpGroups: z.array(z.string()) });

/**
 * SAML 2.0 sign-in: /login sends the browser to the IdP, the IdP posts the
 * signed response to /acs, which answers with a short-lived Warden token.
 * Public: the caller has no Warden token yet; the IdP's signature is what
 * authenticates them. The form parser is scoped to these routes.
 */
export async function samlRoutes(app: Api, core: CoreServices): Promise<void> {
  const tags = ['auth'];
  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<ZodTypeProvider>();
    acceptForms(scope);

    scope.get(
      '/api/v1/auth/saml/login',
      {
        config: { access: 'public' },
        schema: { tags, summary: 'Start a SAML sign-in: redirects to the identity provider with an AuthnRequest', response: { 404: ErrorView } },
      },
      async (_req, reply) => reply.redirect(await saml(core).loginUrl(), 302),
    );

    scope.get(
      '/api/v1/auth/saml/metadata',
      {
        config: { access: 'public' },
        // No response schema: the body is XML, not JSON.
        schema: { tags, summary: "This gateway's SAML SP metadata (entity id, ACS URL), to register Warden at the identity provider" },
      },
      async (_req, reply) => reply.type('application/samlmetadata+xml').send(saml(core).metadata()),
    );

    scope.post(
      '/api/v1/auth/saml/acs',
      {
        config: { access: 'public' },
        schema: {
          tags,
          summary: 'Assertion consumer service: the IdP posts its signed SAML response here; answers with a short-lived Warden token',
          body: AcsBody,
          response: { 200: LoggedIn, 400: ErrorView, 401: ErrorView, 404: ErrorView },
        },
      },
      async (req, reply) => {
        let r;
        try {
          r = await saml(core).acs(req.body.SAMLResponse);
        } catch (err) {
          // Every refused sign-in is logged with the library's reason (the cause), and audited with the reason the client saw.
          req.log.warn({ err, cause: err instanceof Error ? err.cause : undefined }, 'saml sign-in refused');
          if (err instanceof WardenError && core.saml !== undefined) {
            await core.audit.record({ type: 'login.saml', outcome: 'failure', actor: null, detail: { reason: err.message.slice(0, 300), kind: err.kind } });
          }
          throw err;
        }
        req.log.info({ user: r.user.name, groups: r.user.groups, idpGroups: r.idpGroups, assertion: r.assertionId }, 'saml sign-in');
        await core.audit.record({ type: 'login.saml', outcome: 'success', actor: r.user.name, subject: r.assertionId, detail: { groups: r.user.groups, idpGroups: r.idpGroups } });
        // The token is shown once; nothing on the way may keep a copy.
        void reply.header('cache-control', 'no-store');
        // A browser sign-in started by a web page (review links): RelayState is that page, a path here only; the token becomes the session cookie.
        const next = safeNext(req.body.RelayState, '');
        if (next !== '') {
          setSession(reply, req, core.config, r.token, r.expiresAt, core.clock.now());
          return reply.redirect(next, 303);
        }
        return { token: r.token, user: userView(r.user), expiresAt: r.expiresAt.toISOString(), idpGroups: r.idpGroups };
      },
    );
  });
}

function saml(core: CoreServices): SamlLogin {
  if (core.saml === undefined) throw new WardenError('not_found', 'SAML sign-in is not configured on this gateway; an admin sets identity.saml (issuer, callbackUrl, and idpMetadata or entryPoint + idpCert)');
  return core.saml;
}
