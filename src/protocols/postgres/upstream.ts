import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { serialize } from 'pg-protocol';
import type { AuthorizedTarget } from '../../core/access/index.ts';
import { WardenError } from '../../core/errors.ts';
import { dialTarget, unavailable } from '../../transport/dial.ts';
import type { DialTarget, Dialer } from '../../core/services.ts';
import { parseErrorFields } from './codec/results.ts';
import { StartupReader } from './packet-reader.ts';
import { agentAuth, vaultAuth } from './target-auth.ts';

/**
 * The gateway as a client of the target: connect (TLS as the connection
 * says), start up as the vaulted user, authenticate with SCRAM-SHA-256, md5
 * or cleartext, and collect what the server says before it is ready. Takes an
 * AuthorizedTarget: there is no other way to open an upstream.
 */
export interface Upstream {
  socket: Socket;
  /** ParameterStatus messages as the server sent them, to replay to the client. */
  parameterStatus: Buffer[];
  processId: number;
  secretKey: number;
  /** Bytes after the first ReadyForQuery (normally none). */
  leftover: Buffer;
  /** Where to send a CancelRequest for this backend: the same route the session took (direct or its agent). */
  address: DialTarget;
}

export async function openUpstream(
  target: AuthorizedTarget,
  clientParams: Record<string, string>,
  timeoutMs: number,
  dialer?: Dialer,
): Promise<Upstream> {
  const { host, port, tls, database, name, agent } = target.connection;
  const address: DialTarget = { name, host, port, agent, agentGroup: target.connection.agentGroup ?? null };
  const deadline = AbortSignal.timeout(timeoutMs);
  let socket = await dialTarget(address, deadline, dialer);
  try {
    const fail = (why: string) => unavailable(name, why);
    // The tunnel stream itself (not a TLS layer over it) is what can ask the agent.
    const auth = target.connection.credentials === 'agent' ? agentAuth(socket, agent ?? address.agentGroup ?? '', fail) : vaultAuth(target.credential(), fail);
    if (tls !== 'disable') socket = await startTls(socket, tls, host, deadline, name);
    const user = await auth.user();
    socket.write(serialize.startup({ ...clientParams, user, database: database ?? user }));
    const reader = new StartupReader(socket);
    const parameterStatus: Buffer[] = [];
    let processId = 0;
    let secretKey = 0;
    for (;;) {
      const msg = await reader.typed(1 << 20, deadline).catch((err: Error) => {
        throw unavailable(name, err.message);
      });
      const type = String.fromCharCode(msg[0]!);
      if (type === 'R') {
        const code = msg.readInt32BE(5);
        if (code === 0) continue; // AuthenticationOk
        if (code === 3) socket.write(serialize.password(await auth.cleartext()));
        else if (code === 5) socket.write(serialize.password(await auth.md5(msg.subarray(9, 13))));
        else if (code === 10) {
          const { mechanism, response } = await auth.saslStart(msg.toString('utf8', 9, msg.length - 2).split('\0'));
          socket.write(serialize.sendSASLInitialResponseMessage(mechanism, response));
        } else if (code === 11) socket.write(serialize.sendSCRAMClientFinalMessage(await auth.saslContinue(msg.toString('utf8', 9))));
        else if (code === 12) await auth.saslFinal(msg.toString('utf8', 9));
        else throw unavailable(name, `the target asks for an authentication method Warden does not support (${code})`);
      } else if (type === 'S') parameterStatus.push(msg);
      else if (type === 'K') {
        processId = msg.readInt32BE(5);
        secretKey = msg.readInt32BE(9);
      } else if (type === 'E') {
        const f = parseErrorFields(msg, 0, msg.length);
        // The target's words may name the vaulted user; the client only learns that the gateway could not log in.
        throw unavailable(name, `the target refused the gateway's login (${f.C ?? '?'}); ${auth.refusedHint}`);
      } else if (type === 'Z') {
        return { socket, parameterStatus, processId, secretKey, leftover: reader.detach(), address };
      }
      // NoticeResponse and NegotiateProtocolVersion during startup are not the client's business.
    }
  } catch (err) {
    socket.destroy();
    if (err instanceof WardenError) throw err;
    throw unavailable(name, (err as Error).message);
  }
}




async function startTls(socket: Socket, mode: string, host: string, signal: AbortSignal, name: string): Promise<Socket> {
  socket.write(serialize.requestSsl());
  const answer = await new Promise<number>((resolve, reject) => {
    socket.once('data', (b: Buffer) => resolve(b[0]!));
    socket.once('close', () => reject(unavailable(name, 'closed during TLS negotiation')));
    signal.addEventListener('abort', () => reject(unavailable(name, 'timed out')), { once: true });
  });
  if (answer !== 0x53 /* S */) {
    // fail closed: a connection that requires TLS never falls back to plaintext.
    if (mode === 'prefer') return socket;
    throw unavailable(name, 'the target does not offer TLS and the connection requires it');
  }
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ socket, ...(isIP(host) ? {} : { servername: host }), rejectUnauthorized: mode === 'verify-full' }, () => resolve(secure));
    secure.once('error', (err) => reject(unavailable(name, `TLS: ${err.message}`)));
  });
}

/**
 * Sends a CancelRequest to a target backend on a fresh connection (the protocol requires one),
 * dialed the way the session was: a target only an agent can reach is cancelled through that agent.
 * Best effort, as in PostgreSQL: failures are not reported to the client.
 */
export function sendCancel(address: DialTarget, packet: Buffer, dialer?: Dialer): void {
  dialTarget(address, AbortSignal.timeout(5000), dialer).then(
    (s) => {
      s.end(packet);
      // The target closes after reading a cancel; do not wait on one that does not.
      setTimeout(() => s.destroy(), 5000).unref();
      s.once('close', () => undefined);
    },
    () => undefined,
  );
}
