import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { WardenError } from '../../core/errors.ts';
import { authCleartextPassword } from './codec/backend.ts';
import { maxStartupLength, parseStartupPacket, protocolVersion3 } from './codec/startup.ts';
import { StartupReader } from './packet-reader.ts';

/**
 * How login looks on the PostgreSQL wire: optional TLS upgrade, then a
 * StartupMessage naming user and database (= Warden connection), then the
 * Warden token as a cleartext password (protected by TLS when the client
 * asks for it). Cleartext is required: the gateway checks the token itself
 * and only stores its hash, so it cannot run SCRAM against it.
 */
export type LoginResult =
  | { kind: 'login'; stream: Socket; user: string; database: string; token: string; params: Record<string, string>; leftover: Buffer; tls: boolean }
  | { kind: 'cancel'; processId: number; secretKey: number };

const loginTimeoutMs = 30_000;

/** Throws WardenError('bad_request') for a malformed or unsupported start; the caller answers in wire form. */
export async function acceptLogin(socket: Socket, tls: SecureContext): Promise<LoginResult> {
  const deadline = AbortSignal.timeout(loginTimeoutMs);
  let stream: Socket = socket;
  let reader = new StartupReader(stream);
  let upgraded = false;
  try {
    for (;;) {
      const packet = await reader.untyped(maxStartupLength, deadline);
      const start = parseStartupPacket(packet);
      if (start.kind === 'cancel') return start;
      if (start.kind === 'gssenc') {
        stream.write('N');
        continue;
      }
      if (start.kind === 'ssl') {
        if (upgraded) throw new WardenError('bad_request', 'SSLRequest received twice');
        const early = reader.detach();
        // fail closed: bytes sent before the TLS handshake would be plaintext injected into the session.
        if (early.length > 0) throw new WardenError('bad_request', 'unexpected data after SSLRequest');
        stream.write('S');
        stream = new TLSSocket(socket, { isServer: true, secureContext: tls });
        stream.on('error', () => undefined);
        reader = new StartupReader(stream);
        upgraded = true;
        continue;
      }
      if (start.version !== protocolVersion3) {
        throw new WardenError('bad_request', `unsupported frontend protocol ${start.version >> 16}.${start.version & 0xffff}: Warden speaks 3.0`, { code: '0A000' });
      }
      const user = start.params.user;
      if (!user) throw new WardenError('bad_request', 'no user name in the startup message: connect as your Warden user', { code: '28000' });
      const database = start.params.database || user;
      stream.write(authCleartextPassword());
      const reply = await reader.typed(maxStartupLength, deadline);
      if (reply[0] !== 0x70 /* p */) throw new WardenError('bad_request', 'expected a password message');
      const token = reply.toString('utf8', 5, reply.length - 1);
      return { kind: 'login', stream, user, database, token, params: start.params, leftover: reader.detach(), tls: upgraded };
    }
  } catch (err) {
    reader.detach();
    if (err instanceof WardenError) throw err;
    throw new WardenError('bad_request', `invalid startup: ${(err as Error).message}`, { cause: err });
  }
}

/** Adopt what the client wants of these for the target session; anything else (options, replication…) stays out. */
export const forwardedStartupParams = ['application_name', 'client_encoding', 'DateStyle', 'TimeZone', 'extra_float_digits', 'IntervalStyle'] as const;
