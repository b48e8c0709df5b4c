import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WardenConfig } from '../../config/schema.ts';

/**
 * The browser session: an HttpOnly, SameSite=Lax cookie holding a short-lived
 * Warden token (Secure when the gateway is reached over TLS). Any replica can
 * check it — it is an ordinary token in the store, revoked at logout.
 *
 * CSRF: a request that changes something and is signed in by the cookie must
 * also carry `csrfFor(token)` (a form field or the `x-warden-csrf` header). It
 * is derived from the token, so any replica can check it and a page on another
 * site, which cannot read the cookie, cannot compute it.
 */
export const sessionCookie = 'warden_session';
/** Binds a sign-in to the browser that started it (against login CSRF: someone else's callback link opened in your browser). */
export const stateCookie = 'warden_oidc_state';
export const csrfHeader = 'x-warden-csrf';

/** The value of one cookie of the request; undefined when absent. */
export function readCookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The Warden token of the browser session, if the request carries one. */
export const sessionToken = (req: FastifyRequest): string | undefined => {
  const v = readCookie(req, sessionCookie);
  return v === undefined || v === '' ? undefined : v;
};

/** Secure cookies when the browser reached us over TLS, directly or as the configured public URL says. */
function secure(req: FastifyRequest, config: WardenConfig): boolean {
  const oidc = config.identity.oidc?.redirectUri ?? '';
  return req.protocol === 'https' || config.reviews.publicUrl.startsWith('https:') || oidc.startsWith('https:');
}

export function setSession(reply: FastifyReply, req: FastifyRequest, config: WardenConfig, token: string, expiresAt: Date, now: Date): void {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000));
  const flags = `Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure(req, config) ? '; Secure' : ''}`;
  void reply.header('set-cookie', `${sessionCookie}=${encodeURIComponent(token)}; ${flags}`);
}

/** Remembers the sign-in's state in this browser until the callback (10 minutes, sent to /auth/oidc only). */
export function setStateCookie(reply: FastifyReply, req: FastifyRequest, config: WardenConfig, state: string): void {
  void reply.header('set-cookie', `${stateCookie}=${encodeURIComponent(state)}; Path=/auth/oidc; Max-Age=600; HttpOnly; SameSite=Lax${secure(req, config) ? '; Secure' : ''}`);
}

/** Whether the callback's state is the one this browser started; constant time, false when either is absent. */
export function stateMatches(req: FastifyRequest, state: string | null): boolean {
  const mine = readCookie(req, stateCookie);
  if (mine === undefined || state === null) return false;
  const a = Buffer.from(mine);
  const b = Buffer.from(state);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function clearSession(reply: FastifyReply, req: FastifyRequest, config: WardenConfig): void {
  void reply.header('set-cookie', `${sessionCookie}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure(req, config) ? '; Secure' : ''}`);
}

export function csrfFor(token: string): string {
  return createHash('sha256').update(`warden-csrf\0${token}`).digest('base64url');
}

/** Constant-time check of a presented CSRF value against the session's; false when absent. */
export function csrfMatches(token: string, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const want = Buffer.from(csrfFor(token));
  const got = Buffer.from(presented);
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * Where to go after sign-in: a path on this gateway only. Absolute URLs,
 * scheme-relative `//host`, backslashes and control characters fall back to
 * the default: no open redirect through `next`.
 */
export function safeNext(next: unknown, fallback = '/api/v1/whoami'): string {
  if (typeof next !== 'string' || next.length > 1024) return fallback;
  if (!next.startsWith('/') || next.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(next)) return fallback;
  return next;
}
