import type { FastifyInstance, FastifyRequest } from 'fastify';
import { WardenError } from '../core/errors.ts';
import { authenticate } from '../core/identity/authenticate.ts';
import type { Identity, Role } from '../core/identity/types.ts';
import type { CoreServices } from '../core/services.ts';
import { csrfHeader, csrfMatches, sessionToken } from './web/session.ts';

/**
 * Who may call a route, declared in the route's `config.access`:
 * - `public`: no credential (health, metrics);
 * - `any`: any valid token (whoami);
 * - `read`: admins and auditors (reading sessions and recordings);
 * - `admin` (the default when a route says nothing): admins only.
 */
export const accessLevels = ['public', 'any', 'read', 'admin'] as const;
export type Access = (typeof accessLevels)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** Set once the bearer token (or session cookie) is verified; null on public routes. */
    identity: Identity | null;
  }
}

const allowedRoles: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  any: ['admin', 'auditor', 'user'],
  read: ['admin', 'auditor'],
  admin: ['admin'],
};

export function useBearerAuth(app: FastifyInstance, core: CoreServices): void {
  app.decorateRequest('identity', null);
  app.addHook('onRequest', async (req) => {
    // fail closed: a route that does not declare its access is admin-only.
    const access = req.routeOptions.config.access ?? 'admin';
    if (access === 'public') return;
    const identity = await authenticate(core, credential(req));
    req.identity = identity;
    const roles = allowedRoles[access];
    if (!roles.includes(identity.user.role)) {
      throw new WardenError(
        'access_denied',
        `this needs the ${roles.join(' or ')} role and user ${identity.user.name} is ${identity.user.role}; ask an admin`,
      );
    }
  });
}

/**
 * The bearer token, or else the browser session cookie (see web/session.ts).
 * fail closed: a cookie-signed request that changes something must carry the
 * session's CSRF value, or another site could make the browser send it.
 */
function credential(req: FastifyRequest): string {
  const cookie = req.headers.authorization === undefined ? sessionToken(req) : undefined;
  if (cookie === undefined) return bearer(req);
  if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method) && !csrfMatches(cookie, req.headers[csrfHeader])) {
    throw new WardenError('access_denied', `a request signed in by the session cookie must carry the ${csrfHeader} header; send a bearer token instead`);
  }
  return cookie;
}

function bearer(req: FastifyRequest): string {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw new WardenError('access_denied', 'missing bearer token: send `Authorization: Bearer <warden token>` (see `warden login`)');
  }
  return match[1]!;
}

/** The verified caller of an authenticated route; a bug (500) if called on a public one. */
export function caller(req: FastifyRequest): Identity {
  if (req.identity === null) throw new WardenError('internal', 'route reads the caller but is public');
  return req.identity;
}
