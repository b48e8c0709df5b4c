import type { FastifyInstance } from 'fastify';

const FORM = 'application/x-www-form-urlencoded';

/**
 * Lets a plugin scope read HTML form posts (an IdP's SAML POST, the review
 * page's buttons) as a flat record. Scoped on purpose: the JSON API never
 * accepts forms, which keeps cross-site form posts away from it.
 */
export function acceptForms(scope: FastifyInstance<any, any, any, any, any>): void {
  scope.addContentTypeParser(FORM, { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
}
