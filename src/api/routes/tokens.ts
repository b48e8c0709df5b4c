import { z } from 'zod';
import { WardenError } from '../../core/errors.ts';
import { issueTokenFor } from '../../core/identity/machine.ts';
import type { CoreServices } from '../../core/services.ts';
import { CreateToken, ErrorView, NoContent, IdParams, IssuedToken, NameParams, TokenView, tokenView } from '../schemas.ts';
import type { Api } from '../types.ts';
import { mustFindUser } from './users.ts';

/**
 * `machine: true` asks for a machine token (CI, services, AI agents): only for
 * a user in the `machine` group, and without expiry unless `ttlMs` says so.
 * Otherwise a person's token, 12 h unless `ttlMs` says so.
 */
const CreateTokenBody = CreateToken.extend({ machine: z.boolean().optional() });

/** API tokens: issued (secret shown once), listed (never the secret or hash), revoked. Admin only. */
export function tokenRoutes(app: Api, core: CoreServices): void {
  const tags = ['tokens'];

  app.post(
    '/api/v1/users/:name/tokens',
    {
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
    { schema: { tags, summary: "List a user's tokens", params: NameParams, response: { 200: TokenView.array(), 404: ErrorView } } },
    async (req) => {
      const user = await mustFindUser(core, req.params.name);
      return (await core.tokens.listForUser(user.id)).map(tokenView);
    },
  );

  app.delete(
    '/api/v1/tokens/:id',
    { schema: { tags, summary: 'Revoke a token', params: IdParams, response: { 204: NoContent, 404: ErrorView } } },
    async (req, reply) => {
      if (!(await core.tokens.revoke(req.params.id, core.clock.now()))) {
        throw new WardenError('not_found', `no token ${req.params.id}; see \`warden tokens list <user>\``);
      }
      return reply.status(204).send(null);
    },
  );
}
