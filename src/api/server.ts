import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { CoreServices } from '../core/services.ts';
import { useAudit } from './audit.ts';
import { useBearerAuth } from './auth.ts';
import { useErrorMapping } from './errors.ts';
import { auditRoutes } from './routes/audit.ts';
import { authRoutes } from './routes/auth.ts';
import { connectionRoutes } from './routes/connections.ts';
import { policyRoutes } from './routes/policy.ts';
import { reviewPageRoutes } from './routes/review-page.ts';
import { reviewRoutes } from './routes/reviews.ts';
import { samlRoutes } from './routes/saml.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { sessionCastRoutes } from './routes/session-cast.ts';
import { sshKeyRoutes } from './routes/ssh-keys.ts';
import { systemRoutes } from './routes/system.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { userRoutes } from './routes/users.ts';
import { webAuthRoutes } from './routes/web-auth.ts';
import { useZod, zodToOpenApi, type ZodTypeProvider } from './zod.ts';
import { version } from '../version.ts';


/**
 * Builds the REST API over the core services, ready but not listening: the
 * gateway decides where it listens. The OpenAPI document is at `/openapi.json`.
 */
export async function buildApi(core: CoreServices, opts: { tls?: { cert: string; key: string } } = {}): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = core.log.child({ module: 'api' });
  // With `tls`, HTTPS (the gateway's certificate); the instance is typed as HTTP's, whose API it shares.
  const app = (Fastify as unknown as (o: object) => FastifyInstance)({
    ...(opts.tls === undefined ? {} : { https: { cert: opts.tls.cert, key: opts.tls.key } }),
    loggerInstance: logger,
    // Request lines at info would drown the gateway log; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
  });
  useZod(app);
  useErrorMapping(app);
  useBearerAuth(app, core);
  useAudit(app, core);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Warden API', version, description: 'Users, tokens, connections and recorded sessions of a Warden gateway.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A Warden token' } } },
      security: [{ bearer: [] }],
    },
    transform: zodToOpenApi,
  });

  const api = app.withTypeProvider<ZodTypeProvider>();
  systemRoutes(api, core);
  userRoutes(api, core);
  tokenRoutes(api, core);
  sshKeyRoutes(api, core);
  connectionRoutes(api, core);
  sessionRoutes(api, core);
  sessionCastRoutes(api, core);
  policyRoutes(api, core);
  reviewRoutes(api, core);
  auditRoutes(api, core);
  authRoutes(api, core);
  await samlRoutes(api, core);
  await webAuthRoutes(api, core);
  await reviewPageRoutes(api, core);
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
  return app;
}
