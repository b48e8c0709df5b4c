import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { connectTarget, type DialHandler } from '../tunnel/index.ts';
import type { Allowlist } from './allowlist.ts';

/**
 * The agent's answer to a gateway's request for a stream: check the
 * allowlist and dial the target. The mux then splices the socket to the link
 * (`SocketSplice`: the socket's own backpressure holds back the stream's
 * credit). Rejects with a message the gateway shows to the user.
 */
export function openTarget(allow: Allowlist, agentName: string, timeoutMs: number, log?: Logger): DialHandler {
  return (host: string, port: number): Promise<Socket> => {
    log?.debug({ host, port }, 'the gateway asks for a stream to a target');
    // fail closed: anything not listed is refused before any packet leaves the agent.
    if (!allow.allows(host, port)) {
      return Promise.reject(new Error(`${host}:${port} is not in ${agentName}'s allowlist; add --allow ${host}:${port} to the agent to permit it`));
    }
    return new Promise((resolve, reject) => {
      // connectTarget: the socket's reads go straight into the splice's frames (no Buffer per read).
      const socket = connectTarget(host, port);
      const timer = setTimeout(() => socket.destroy(new Error('timed out')), timeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(`the agent cannot reach ${host}:${port}: ${err.code ?? err.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
    });
  };
}
