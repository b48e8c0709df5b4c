import { z } from 'zod';
import type { CoreServices } from '../../core/services.ts';
import { caller } from '../auth.ts';
import { userView, Whoami } from '../schemas.ts';
import type { Api } from '../types.ts';

/**
 * Health, metrics and whoami. `/healthz` and `/metrics` need no token, as
 * with most Prometheus exporters: they carry counts, never names or data.
 * Bind the API to a private address, or put it behind a proxy, when that matters.
 */
export function systemRoutes(app: Api, core: CoreServices): void {
  app.get(
    '/healthz',
    { config: { access: 'public' }, schema: { tags: ['system'], summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/metrics',
    { config: { access: 'public' }, schema: { tags: ['system'], summary: 'Prometheus metrics (text exposition format)' } },
    async (_req, reply) => {
      const text = await core.metrics.registry.metrics();
      return reply.type(core.metrics.registry.contentType).send(text);
    },
  );

  app.get(
    '/api/v1/whoami',
    { config: { access: 'any' }, schema: { tags: ['system'], summary: 'The user the bearer token belongs to', response: { 200: Whoami } } },
    async (req) => {
      const { user, tokenId } = caller(req);
      return { user: userView(user), tokenId };
    },
  );
}
