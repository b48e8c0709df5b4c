import { connect } from 'node:net';
import type { Logger } from 'pino';
import type { TunnelStream } from '../tunnel/index.ts';
import type { Allowlist } from './allowlist.ts';

/**
 * The agent's answer to a gateway's request for a stream: check the
 * allowlist, dial the target, then splice the stream and the socket (pipe
 * carries backpressure both ways, which is what holds back the stream's credit).
 * Rejects with a message the gateway shows to the user.
 */
export function openTarget(allow: Allowlist, agentName: string, timeoutMs: number, log?: Logger) {
  return (stream: TunnelStream, host: string, port: number): Promise<void> => {
    log?.debug({ host, port, stream: stream.id }, 'the gateway asks for a stream to a target');
    // fail closed: anything not listed is refused before any packet leaves the agent.
    if (!allow.allows(host, port)) {
      return Promise.reject(new Error(`${host}:${port} is not in ${agentName}'s allowlist; add --allow ${host}:${port} to the agent to permit it`));
    }
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => socket.destroy(new Error('timed out')), timeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(`the agent cannot reach ${host}:${port}: ${err.code ?? err.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.on('error', (err) => stream.destroy(err));
        stream.on('error', () => undefined);
        // A reset stream resets the socket; a cleanly ended one lets the socket flush first.
        stream.on('close', () => (stream.errored ? socket.destroy() : socket.end()));
        socket.pipe(stream);
        stream.pipe(socket);
        resolve();
      });
    });
  };
}
