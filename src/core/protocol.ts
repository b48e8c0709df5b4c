import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { CoreServices } from './services.ts';

/**
 * The contract every protocol implements. A protocol translates between its
 * wire and the core's neutral requests/verdicts; it never decides. Only the
 * CLI wiring (`src/gateway.ts`) imports protocol modules.
 */
export interface Protocol {
  /** 'postgres' | 'mysql' | 'ssh' | 'http' | 'tcp' */
  readonly name: string;
  /**
   * Runs one client session to its end. Resolves when the session is over,
   * whatever the reason; must not reject (a session's errors are the
   * session's own: sent to its client in wire form, logged once).
   */
  serve(socket: Socket, ctx: ListenerContext, core: CoreServices): Promise<void>;
}

export interface ListenerContext {
  /** `ip:port` of the client, for the session record. */
  clientAddress: string;
  /** The gateway's certificate, for protocols that upgrade to TLS in-band. */
  tls: SecureContext;
  /** Aborted when the gateway shuts down: the session should end promptly. */
  shutdown: AbortSignal;
}
