import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { WardenError } from '../core/errors.ts';
import type { DialTarget, Dialer } from '../core/services.ts';
import type { AgentRegistry } from './registry.ts';

/**
 * The gateway's Dialer: a direct TCP connection when the connection names no
 * agent, else a stream through one of that agent's links. An agent that has no
 * link gets `agentWaitMs` to (re)connect before the session fails.
 */
export function createDialer(d: { registry: AgentRegistry; agentWaitMs: number }): Dialer {
  return {
    async dial(target: DialTarget, signal: AbortSignal): Promise<Duplex> {
      if (target.agent === null) return direct(target, signal);
      const link = await d.registry.waitFor(target.agent, d.agentWaitMs);
      if (link === undefined) {
        throw new WardenError(
          'upstream_unavailable',
          `agent "${target.agent}" is offline (not connected to this gateway); start \`warden agent\` in the target's network or check its logs, then retry`,
        );
      }
      try {
        return await link.mux.open(target.host, target.port, signal);
      } catch (err) {
        throw new WardenError('upstream_unavailable', `agent "${target.agent}" could not open ${target.host}:${target.port}: ${(err as Error).message}`);
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
