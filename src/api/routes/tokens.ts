import { z } from 'zod';
import { WardenError } from '../../core/errors.ts';
import { issueTokenFor } from '../../core/identity/machine.ts';
import type { CoreServices } from '../../core/services.ts';
import { caller } from '../auth.ts';
import { CreateToken, ErrorView, NoContent, IdParams, IssuedToken, NameParams, TokenView, tokenView } from '../schemas.ts';
import type { Api } from '../types.ts';
import { mustFindUser } from './users.ts';

/**
 * `machine: true` asks for a machine token (CI, services, AI agents): only for
 * a user in the `machine` group, and without expiry unless `ttlMs` says so.
 * Otherwise a person's token, 12 h unless `ttlMs` says so.
 */
const CreateTokenBody = CreateToken.extend({ machine: z.boolean().optional() });

/**
 * API tokens: issued (secret shown once; admins), listed (never the secret or
 * hash) and revoked — by admins for anyone, by any signed-in user for their
 * own tokens. Someone else's tokens answer 404 exactly like a user or token
 * that does not exist, so a user cannot probe for either.
 */
export function tokenRoutes(app: Api, core: CoreServices): void {
  const tags = ['tokens'];

  app.post(
    '/api/v1/users/:name/tokens',
    {
      config: { audit: 'token.issued' },
      schema: {
        tags,
        summary: 'Issue a token for a user (a person: 12 h by default; `machine: true`: no expiry by default); the token string is in this response only',
        params: NameParams,
        body: CreateTokenBody,
        response: { 201: IssuedToken, 400: ErrorView, 404: ErrorView },
      },
    },
    async (req, reply) => {
      const user = await mustFindUser(core, req.params.name);
      const { name, ttlMs, machine } = req.body;
      const kind = machine === true ? 'machine' : 'person';
      const issued = await issueTokenFor(core, user, ttlMs === undefined ? { name, kind } : { name, kind, ttlMs });
      return reply.status(201).send({ token: issued.token, record: tokenView(issued.record) });
    },
  );

  app.get(
    '/api/v1/users/:name/tokens',
    {
      config: { access: 'any' },
      schema: { tags, summary: "List a user's tokens (admins: anyone's; others: their own)", params: NameParams, response: { 200: TokenView.array(), 404: ErrorView } },
    },
    async (req) => {
      const me = caller(req).user;
      // Not an admin and not yourself: the same 404 as for a name that does not exist.
      if (me.role !== 'admin' && me.name !== req.params.name) throw new WardenError('not_found', `no user named ${req.params.name} whose tokens you may see; list your own with \`warden tokens list\``);
      const user = await mustFindUser(core, req.params.name);
      return (await core.tokens.listForUser(user.id)).map(tokenView);
    },
  );

  app.delete(
    '/api/v1/tokens/:id',
    {
      config: { access: 'any', audit: 'token.revoked' },
      schema: { tags, summary: 'Revoke a token (admins: anyone\'s; others: their own)', params: IdParams, response: { 204: NoContent, 404: ErrorView } },
    },
    async (req, reply) => {
      const me = caller(req).user;
      const token = await core.tokens.byId(req.params.id);
      // fail closed: someone else's token is "not found" to a non-admin, and stays valid.
      const mayRevoke = token !== undefined && (me.role === 'admin' || token.userId === me.id);
      if (!mayRevoke || !(await core.tokens.revoke(req.params.id, core.clock.now()))) {
        throw new WardenError('not_found', `no token ${req.params.id}; see \`warden tokens list <user>\``);
      }
      return reply.status(204).send(null);
    },
  );
}
