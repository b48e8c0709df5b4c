import type { Client } from 'ssh2';
import type { AuthorizedTarget } from '../../core/access/index.ts';
import { agentRoute, describeRoute } from '../../core/connections/route.ts';
import { WardenError } from '../../core/errors.ts';
import type { Dialer } from '../../core/services.ts';
import { checkTargetHostKey } from './host-keys.ts';
import { targetCiphers } from './algorithms.ts';
import { ssh2 } from './ssh2.ts';
import type { TargetHostPins } from './host-pins.ts';
import { agentSshLogin, vaultSshLogin } from './target-auth.ts';

/**
 * The gateway as an SSH client of the target: connect (directly or through
 * the connection's agent), verify the target's host key against the
 * connection's configured host keys or, without any, its pin (host-keys.ts),
 * log in with the vaulted password or private key, or with a key the agent
 * holds and signs with (target-auth.ts). Takes an AuthorizedTarget:
 * there is no other way to open an upstream.
 */
export async function openUpstream(target: AuthorizedTarget, pins: TargetHostPins, timeoutMs: number, dialer?: Dialer): Promise<Client> {
  const { host, port, name, agent } = target.connection;
  const deadline = AbortSignal.timeout(timeoutMs);
  let sock: NodeJS.ReadableStream | undefined;
  const route = agentRoute(target.connection);
  if (route !== null) {
    // fail closed: a gateway without a tunnel never dials an agent's target directly.
    if (dialer === undefined) throw unavailable(name, `it is served by ${describeRoute(route)} and this gateway has no agent tunnel`);
    const stream = await dialer.dial({ name, host, port, agent, agentGroup: target.connection.agentGroup ?? null }, deadline);
    stream.on('error', () => undefined);
    sock = stream;
  }
  const denied = (why: string) => unavailable(name, why);
  const login = target.connection.credentials === 'agent' ? await agentSshLogin(sock, agent, denied).catch(closing(sock)) : vaultSshLogin(target.credential(), denied);
  const client = new ssh2.Client();
  let refusal: WardenError | undefined;
  return new Promise<Client>((resolve, reject) => {
    const fail = (err: WardenError) => {
      client.removeAllListeners('ready');
      client.end();
      reject(err);
    };
    const timedOut = () => fail(unavailable(name, 'timed out'));
    deadline.addEventListener('abort', timedOut, { once: true });
    client.once('ready', () => {
      // The deadline is for logging in only: left armed, it would end every session after timeoutMs.
      deadline.removeEventListener('abort', timedOut);
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (refusal) return fail(refusal);
      // The target's words may name the vaulted user; the client only learns that the gateway could not log in.
      if (err.level === 'client-authentication') return fail(unavailable(name, `the target refused the gateway's login; ${login.refusedHint}`));
      fail(unavailable(name, err.message));
    });
    client.connect({
      ...(sock ? { sock: sock as never } : { host, port }),
      ...login.options,
      readyTimeout: timeoutMs,
      keepaliveInterval: 15_000,
      algorithms: { cipher: targetCiphers },
      hostVerifier: (key: Buffer) => {
        try {
          return checkTargetHostKey(target.connection, pins, key);
        } catch (err) {
          refusal = err as WardenError;
          return false;
        }
      },
    });
    // Without it Nagle holds each small request (an SFTP READ is ~40 bytes) until the previous segment is
    // acknowledged: a request/answer protocol then waits on delayed ACKs and SFTP crawls. Bulk streams lose nothing.
    client.setNoDelay(true);
  });
}

/** A login that fails before ssh2 owns the stream closes the stream itself. */
function closing(sock: NodeJS.ReadableStream | undefined): (err: unknown) => never {
  return (err) => {
    (sock as { destroy?: () => void } | undefined)?.destroy?.();
    throw err;
  };
}

function unavailable(connection: string, why: string): WardenError {
  return new WardenError('upstream_unavailable', `cannot reach the target of connection "${connection}": ${why}`);
}
