import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { agentRoute, describeRoute } from '../core/connections/route.ts';
import { WardenError } from '../core/errors.ts';
import type { DialTarget, Dialer } from '../core/services.ts';
import type { AgentRegistry } from './registry.ts';

/**
 * The gateway's Dialer: a direct TCP connection when the connection names no
 * agent or group, else a stream through one link that serves it (see
 * AgentRegistry.pick for the spread). A route without any link gets
 * `agentWaitMs` for one to (re)connect before the session fails.
 */
export function createDialer(d: { registry: AgentRegistry; agentWaitMs: number }): Dialer {
  return {
    async dial(target: DialTarget, signal: AbortSignal): Promise<Duplex> {
      const route = agentRoute(target);
      if (route === null) return direct(target, signal);
      const link = await d.registry.waitFor(route, d.agentWaitMs);
      if (link === undefined) {
        const what = route.kind === 'agent' ? `agent "${route.name}" is offline` : `no agent of group "${route.name}" online`;
        throw new WardenError(
          'upstream_unavailable',
          `${what} (not connected to this gateway); start \`warden agent\` in the target's network or check its logs, then retry`,
        );
      }
      const via = route.kind === 'agent' ? describeRoute(route) : `agent "${link.agent}" (group "${route.name}")`;
      try {
        return await link.mux.open(target.host, target.port, signal);
      } catch (err) {
        throw new WardenError('upstream_unavailable', `${via} could not open ${target.host}:${target.port}: ${(err as Error).message}`);
      }
    },
  };
}

function direct(target: DialTarget, signal: AbortSignal): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, noDelay: true });
    const onAbort = () => {
      socket.destroy();
      reject(new WardenError('upstream_unavailable', `cannot reach ${target.host}:${target.port}: timed out`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      signal.removeEventListener('abort', onAbort);
      reject(new WardenError('upstream_unavailable', `cannot reach ${target.host}:${target.port}: ${err.code ?? err.message}`));
    });
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}
