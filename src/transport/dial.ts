import type { Socket } from 'node:net';
import { agentRoute, describeRoute } from '../core/connections/route.ts';
import { WardenError } from '../core/errors.ts';
import type { DialTarget, Dialer } from '../core/services.ts';
import { connectOnread } from './onread-socket.ts';

/**
 * Opening the byte stream to a target, for every protocol's upstream: a
 * direct TCP connection, or a stream through the agent the connection names.
 * Failures are WardenError('upstream_unavailable') naming the connection.
 */
export function unavailable(connection: string, why: string): WardenError {
  return new WardenError('upstream_unavailable', `cannot reach the target of connection "${connection}": ${why}`);
}

/** Async so that a malformed route (agentRoute throws) is a rejection for every caller, never a synchronous throw. */
export async function dialTarget(t: DialTarget, signal: AbortSignal, dialer?: Dialer): Promise<Socket> {
  return agentRoute(t) !== null ? viaAgent(dialer, t, signal) : direct(t.host, t.port, signal, t.name);
}

/**
 * A stream through the connection's agent. The tunnel stream has the Duplex
 * half of a Socket's API, which is all relays and TLS use; it is typed as a
 * Socket so session code stays the same for both paths.
 */
async function viaAgent(dialer: Dialer | undefined, t: DialTarget, signal: AbortSignal): Promise<Socket> {
  // fail closed: a gateway without a tunnel never falls back to dialing an agent's target directly.
  if (dialer === undefined) throw unavailable(t.name, `it is served by ${describeRoute(agentRoute(t)!)} and this gateway has no agent tunnel`);
  const stream = await dialer.dial(t, signal);
  stream.on('error', () => undefined);
  return stream as unknown as Socket;
}

function direct(host: string, port: number, signal: AbortSignal, name: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectOnread(host, port);
    const fail = (why: string) => {
      socket.destroy();
      reject(unavailable(name, why));
    };
    const onAbort = () => fail('timed out');
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (err) => fail((err as NodeJS.ErrnoException).code ?? err.message));
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      // Later errors are the session's: the relay listens for them.
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}
