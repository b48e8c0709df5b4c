import { createServer, type Server, type Socket } from 'node:net';
import type { Protocol, ListenerContext } from '../core/protocol.ts';
import type { CoreServices } from '../core/services.ts';
import { adoptOnread } from './onread-socket.ts';
import type { GatewayTls } from './tls.ts';

export interface RunningListener {
  host: string;
  port: number;
  /** Stops accepting, ends open sessions, waits for them to finish. */
  close(): Promise<void>;
}

/**
 * A TCP listener that runs one protocol session per accepted socket. It owns
 * the sockets' lifetime: on close it aborts every session still open.
 */
export async function listen(
  protocol: Protocol,
  core: CoreServices,
  opts: { host: string; port: number; tls: GatewayTls },
): Promise<RunningListener> {
  const shutdown = new AbortController();
  const sessions = new Set<Promise<void>>();
  const sockets = new Set<Socket>();
  // Paused on connect: nothing is read before the socket is re-made to read through onread (onread-socket.ts).
  const server: Server = createServer({ noDelay: true, pauseOnConnect: true }, (accepted) => {
    const socket = adoptOnread(accepted);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A socket error is the session's business; without a listener it would crash the process.
    socket.on('error', () => undefined);
    const ctx: ListenerContext = {
      clientAddress: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
      tls: opts.tls.context,
      shutdown: shutdown.signal,
    };
    const run = protocol
      .serve(socket, ctx, core)
      .catch((err: unknown) => core.log.error({ err, protocol: protocol.name }, 'session crashed'))
      .finally(() => {
        socket.destroy();
        sessions.delete(run);
      });
    sessions.add(run);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    host: opts.host,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      shutdown.abort();
      // Give sessions a moment to send their goodbye, then cut what is left.
      const grace = setTimeout(() => sockets.forEach((s) => s.destroy()), 2000);
      await Promise.allSettled([...sessions]);
      clearTimeout(grace);
      await closed;
    },
  };
}
