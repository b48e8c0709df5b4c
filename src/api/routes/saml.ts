import { z } from 'zod';
import { WardenError } from '../../core/errors.ts';
import type { SamlLogin } from '../../core/identity/saml/index.ts';
import type { CoreServices } from '../../core/services.ts';
import { ErrorView, UserView, userView } from '../schemas.ts';
import type { Api } from '../types.ts';
import type { ZodTypeProvider } from '../zod.ts';

const FORM = 'application/x-www-form-urlencoded';

/** The HTTP-POST binding: the IdP's auto-submitted form (other fields, e.g. RelayState, are ignored). */
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
    scope.addContentTypeParser(FORM, { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    scope.get(
      '/api/v1/auth/saml/login',
      {
        config: { access: 'public' },
        schema: { tags, summary: 'Start a SAML sign-in: redirects to the identity provider with an AuthnRequest', response: { 404: ErrorView } },
      },
      async (_req, reply) => reply.redirect(await saml(core).loginUrl(), 302),
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
          // Every refused sign-in is logged with the library's reason (the cause).
          req.log.warn({ err, cause: err instanceof Error ? err.cause : undefined }, 'saml sign-in refused');
          throw err;
        }
        req.log.info({ user: r.user.name, groups: r.user.groups, idpGroups: r.idpGroups, assertion: r.assertionId }, 'saml sign-in');
        // The token is shown once; nothing on the way may keep a copy.
        void reply.header('cache-control', 'no-store');
        return { token: r.token, user: userView(r.user), expiresAt: r.expiresAt.toISOString(), idpGroups: r.idpGroups };
      },
    );
  });
}

function saml(core: CoreServices): SamlLogin {
  if (core.saml === undefined) throw new WardenError('not_found', 'SAML sign-in is not configured on this gateway; an admin sets identity.saml (entryPoint, issuer, idpCert, callbackUrl)');
  return core.saml;
}
