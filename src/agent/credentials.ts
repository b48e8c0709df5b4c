import sasl from 'pg/lib/crypto/sasl.js';
import pgCrypto from 'pg/lib/crypto/utils.js';
import { WardenError } from '../core/errors.ts';
import type { AuthHandler, TunnelStream } from '../tunnel/index.ts';

/**
 * Target credentials held by the agent (`--credentials file.yaml`, a map of
 * `host:port` → `{ user, password }`) for connections marked `credentials: agent`.
 *
 * Why the gateway drives the login and the agent only answers its challenges:
 * the gateway keeps every line of protocol logic (startup, TLS, errors, relay),
 * the agent stays a byte carrier plus a small calculator, and what crosses the
 * link — the user name, an md5 response salted by the target, SCRAM client
 * messages — is useless to replay elsewhere. The password itself never leaves
 * the agent; a target that asks for it in cleartext is refused by the gateway.
 */
export class AgentCredentials {
  readonly #byTarget = new Map<string, { user: string; password: string }>();

  constructor(entries: Record<string, unknown>) {
    for (const [target, v] of Object.entries(entries)) {
      const c = v as { user?: unknown; password?: unknown } | null;
      if (typeof c?.user !== 'string' || c.user === '' || typeof c.password !== 'string') {
        throw new WardenError('bad_request', `credentials for "${target}" need a user and a password (strings)`);
      }
      this.#byTarget.set(target.trim().toLowerCase(), { user: c.user, password: c.password });
    }
  }

  get size(): number {
    return this.#byTarget.size;
  }

  get(host: string, port: number): { user: string; password: string } | undefined {
    const h = host.toLowerCase();
    return this.#byTarget.get(h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`);
  }
}

/** The agent's side of a login: one answer per step, SCRAM state kept per stream. */
export function answerAuth(creds: AgentCredentials): AuthHandler {
  const scram = new WeakMap<TunnelStream, ReturnType<typeof sasl.startSession>>();
  return async (stream, host, port, body) => {
    const c = creds.get(host, port);
    // fail closed: no entry, no answer; the gateway tells the user which target lacks one.
    if (c === undefined) throw new Error(`the agent holds no credentials for ${host}:${port}; add it to the agent's --credentials file`);
    const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
    switch (body['op']) {
      case 'user':
        return { ok: true, user: c.user };
      case 'md5': {
        const salt = Buffer.from(str('salt'), 'base64');
        if (salt.length !== 4) throw new Error('an md5 step needs a 4-byte salt');
        return { ok: true, response: await pgCrypto.postgresMd5PasswordHash(c.user, c.password, salt) };
      }
      case 'sasl-start': {
        const mechanisms = Array.isArray(body['mechanisms']) ? (body['mechanisms'] as unknown[]).filter((m): m is string => typeof m === 'string') : [];
        const session = sasl.startSession(mechanisms);
        scram.set(stream, session);
        return { ok: true, mechanism: session.mechanism, response: session.response };
      }
      case 'sasl-continue': {
        const session = scram.get(stream);
        if (session === undefined) throw new Error('SCRAM continue without a start');
        await sasl.continueSession(session, c.password, str('data'));
        return { ok: true, response: session.response };
      }
      case 'sasl-final': {
        const session = scram.get(stream);
        scram.delete(stream);
        if (session === undefined) throw new Error('SCRAM final without a start');
        // The target proves it knew the password too; a wrong signature throws here.
        sasl.finalizeSession(session, str('data'));
        return { ok: true };
      }
      default:
        throw new Error(`unknown auth step ${JSON.stringify(body['op'])}`);
    }
  };
}
