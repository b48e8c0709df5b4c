import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { WardenError } from '../../core/errors.ts';
import type { OidcLogin } from '../../core/identity/oidc/index.ts';
import type { CoreServices } from '../../core/services.ts';
import { ErrorView, UserView, userView } from '../schemas.ts';
import type { Api } from '../types.ts';

const DeviceStarted = z.object({
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string().optional(),
  /** Hand back to /poll; opaque to the client. */
  device_code: z.string(),
  interval: z.number(),
  expires_in: z.number(),
});
const PollBody = z.strictObject({ device_code: z.string().min(1).max(4096) });
const Pending = z.object({ status: z.literal('pending'), slow_down: z.boolean() });
const LoggedIn = z.object({ status: z.literal('complete'), token: z.string(), user: UserView, expiresAt: z.string(), idpGroups: z.array(z.string()) });

/**
 * Sign-in with the identity provider (OIDC device flow, for `warden login --oidc`).
 * Public: the caller has no Warden token yet; the IdP is what authenticates them.
 */
export function authRoutes(app: Api, core: CoreServices): void {
  const tags = ['auth'];

  app.post(
    '/api/v1/auth/device',
    {
      config: { access: 'public' },
      schema: { tags, summary: 'Start an OIDC device sign-in: a code for the person to confirm at the IdP', response: { 200: DeviceStarted, 404: ErrorView, 502: ErrorView } },
    },
    async (req, reply) => {
      const d = await idpCall(req, reply, () => oidc(core).startDevice());
      if (d === undefined) return reply;
      return {
        user_code: d.userCode,
        verification_uri: d.verificationUri,
        ...(d.verificationUriComplete === undefined ? {} : { verification_uri_complete: d.verificationUriComplete }),
        device_code: d.deviceCode,
        interval: d.interval,
        expires_in: d.expiresIn,
      };
    },
  );

  app.post(
    '/api/v1/auth/device/poll',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Poll a device sign-in: 202 while the person has not confirmed, 200 with a short-lived Warden token once they have',
        body: PollBody,
        response: { 200: LoggedIn, 202: Pending, 400: ErrorView, 401: ErrorView, 404: ErrorView, 502: ErrorView },
      },
    },
    async (req, reply) => {
      const r = await idpCall(req, reply, () => oidc(core).pollDevice(req.body.device_code), core);
      if (r === undefined) return reply;
      if (r.status === 'pending') return reply.status(202).send({ status: 'pending', slow_down: r.slowDown });
      req.log.info({ user: r.user.name, groups: r.user.groups, idpGroups: r.idpGroups }, 'oidc sign-in');
      await core.audit.record({ type: 'login.oidc', outcome: 'success', actor: r.user.name, detail: { flow: 'device', groups: r.user.groups, idpGroups: r.idpGroups } });
      return { status: 'complete' as const, token: r.token, user: userView(r.user), expiresAt: r.expiresAt.toISOString(), idpGroups: r.idpGroups };
    },
  );
}

function oidc(core: CoreServices): OidcLogin {
  if (core.oidc === undefined) throw new WardenError('not_found', 'OIDC sign-in is not configured on this gateway; an admin sets identity.oidc (issuer, clientId…)');
  return core.oidc;
}

/**
 * An IdP that is down or misconfigured is a 502 with the reason: the shared
 * error mapping hides 5xx details, but here the detail (which IdP, what it
 * said) is what the person needs and holds no secret.
 */
async function idpCall<T>(req: FastifyRequest, reply: { status(code: number): { send(body: ErrorView): unknown } }, call: () => Promise<T>, core?: CoreServices): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    // Every refused sign-in is logged with the library's reason (the cause), which the client never sees in full.
    req.log.warn({ err, cause: err instanceof Error ? err.cause : undefined }, 'oidc sign-in refused');
    // A refused device-flow completion (`core` given) is audited; an IdP that is merely unreachable is not a sign-in attempt.
    if (core !== undefined && err instanceof WardenError && err.kind === 'access_denied') {
      await core.audit.record({ type: 'login.oidc', outcome: 'failure', actor: null, detail: { flow: 'device', reason: err.message.slice(0, 300) } });
    }
    if (err instanceof WardenError && err.kind === 'upstream_unavailable') {
      reply.status(502).send({ error: err.kind, message: err.message });
      return undefined;
    }
    throw err;
  }
}
