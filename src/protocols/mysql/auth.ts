import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { WardenError } from '../../core/errors.ts';
import { authSwitchRequest, buildGreeting, gatewayCapabilities, newScramble, parseHandshakeResponse, cap } from './codec/handshake.ts';
import { packet } from './codec/packet.ts';
import { PacketReader } from './packet-reader.ts';

/**
 * How login looks on the MySQL wire. The gateway greets with its own
 * HandshakeV10, then asks for the Warden token in cleartext with an
 * AuthSwitchRequest to `mysql_clear_password`: the gateway only stores a
 * token's hash, so it cannot verify a challenge-response (native or
 * caching_sha2) scramble; it needs the token itself.
 *
 * Client flags: the MariaDB CLI (libmariadb) accepts the switch as is
 * (`mariadb -h 127.0.0.1 -P 13306 -u <user> -p<token> -D <connection>`);
 * Oracle's `mysql` CLI and libmysqlclient need `--enable-cleartext-plugin`
 * (or LIBMYSQL_ENABLE_CLEARTEXT_PLUGIN=1); mysql2 answers the switch with
 * `authPlugins: { mysql_clear_password: () => () => Buffer.from(token + '\0') }`.
 * TLS is offered with the gateway's certificate (CLIENT_SSL: the client's
 * SSLRequest, then the TLS handshake, then the real login); a client that
 * does not ask for it sends its token in the clear, so outside loopback use
 * `--ssl` (MariaDB) / `--ssl-mode=REQUIRED` (MySQL).
 *
 * The database names the Warden connection: `<connection>` or
 * `<connection>/<schema>` (the schema on the target; default: the
 * connection's own database) — or the user name does, `<user>/<connection>`,
 * and the database is then the schema (see whoAndWhere).
 */
export interface LoginResult {
  /** The client's stream from here on: the socket, or the TLS layer over it. */
  stream: Socket;
  tls: boolean;
  user: string;
  token: string;
  /** undefined: the client gave no database, so it may only KILL (control-session.ts). */
  connection: string | undefined;
  schema: string | undefined;
  /** The capabilities both sides agreed on: the relay runs under exactly these. */
  capabilities: number;
  charset: number;
  maxPacket: number;
  /** Sequence id for the gateway's answer (OK or ERR) to the login. */
  nextSeq: number;
  /** Client bytes after the login (normally none: clients wait for the OK). */
  leftover: Buffer;
}

export interface LoginProgress {
  seq: number;
  stream?: Socket;
}

/** Login packets are small; anything larger is not a client. */
const maxLoginPacket = 64 * 1024;
const loginTimeoutMs = 30_000;
/** The version clients see; the relay does not depend on it. */
export const gatewayServerVersion = '5.7.0-warden';

/**
 * Runs the connection phase up to the point where the gateway must answer OK
 * or ERR. `progress` always holds the sequence id an ERR must use and the
 * stream to write it to (TLS once upgraded), so the caller can answer a
 * failure at any step. Throws WardenError.
 */
export async function acceptLogin(socket: Socket, tls: SecureContext, connectionId: number, progress: LoginProgress): Promise<LoginResult> {
  const deadline = AbortSignal.timeout(loginTimeoutMs);
  let stream: Socket = socket;
  let reader = new PacketReader(socket, maxLoginPacket);
  try {
    const scramble = newScramble();
    const offered = gatewayCapabilities | cap.ssl;
    socket.write(packet(0, buildGreeting({ serverVersion: gatewayServerVersion, connectionId, capabilities: offered, charset: 45 /* utf8mb4_general_ci */, status: 0x0002, scramble, authPlugin: 'mysql_native_password' })));
    progress.seq = 1;
    let response = await reader.next(deadline);
    progress.seq = response.seq + 1;
    if (response.payload.length === 32 && response.payload.readUInt32LE(0) & cap.ssl) {
      // SSLRequest: the short response before the TLS handshake; the full one follows inside TLS.
      // Clients start the TLS handshake without waiting for an answer: bytes already read are its first
      // records, handed back to the socket for the TLS layer (which reads them as TLS, never as MySQL).
      const early = reader.detach();
      if (early.length > 0) {
        socket.pause();
        socket.unshift(early);
      }
      stream = new TLSSocket(socket, { isServer: true, secureContext: tls });
      stream.on('error', () => undefined);
      progress.stream = stream;
      reader = new PacketReader(stream, maxLoginPacket);
      response = await reader.next(deadline);
      progress.seq = response.seq + 1;
    }
    const login = parseHandshakeResponse(response.payload);
    // fail closed: a client claiming TLS in a response that did not come over TLS is confused or hostile.
    if ((login.capabilities & cap.ssl) !== 0 !== (stream !== socket)) throw new WardenError('bad_request', 'inconsistent SSL negotiation', { code: '1043' });
    if (!(login.capabilities & cap.pluginAuth)) throw new WardenError('bad_request', 'the client cannot switch authentication plugins; use a client that supports mysql_clear_password', { code: '1043' });
    if (!login.user) throw new WardenError('access_denied', 'no user name given: connect as your Warden user (-u <user>)');
    let token: Buffer;
    if (login.authPlugin === 'mysql_clear_password') token = login.authResponse;
    else {
      stream.write(packet(progress.seq, authSwitchRequest('mysql_clear_password', Buffer.concat([scramble, Buffer.from([0])]))));
      const reply = await reader.next(deadline);
      progress.seq = reply.seq + 1;
      token = reply.payload;
    }
    if (token.length > 0 && token[token.length - 1] === 0) token = token.subarray(0, token.length - 1);
    const { user, connection, schema } = whoAndWhere(login.user, login.database);
    return {
      stream,
      tls: stream !== socket,
      user,
      token: token.toString('utf8'),
      connection,
      schema,
      capabilities: login.capabilities & gatewayCapabilities,
      charset: login.charset,
      maxPacket: login.maxPacket,
      nextSeq: progress.seq,
      leftover: reader.detach(),
    };
  } catch (err) {
    reader.detach();
    if (err instanceof WardenError) throw err;
    throw new WardenError('bad_request', `invalid login: ${(err as Error).message}`, { code: '1043', cause: err });
  }
}

/**
 * Who logs in and where to: `-u <user>/<connection>` names the connection
 * in the user name (tools such as mariadb-dump and mariadb-slap log in without
 * a database and select schemas later), and the database, if any, is then a
 * schema on the target. Otherwise the database names the connection; no
 * database at all is a KILL-only login (the CLI's Ctrl-C connection, see
 * control-session.ts). Warden user names never contain `/`.
 */
export function whoAndWhere(user: string, database: string | undefined): { user: string; connection: string | undefined; schema: string | undefined } {
  const slash = user.indexOf('/');
  if (slash >= 0) {
    // fail closed: `alice/` names no connection, and an empty connection name is never guessed.
    if (slash === 0 || slash === user.length - 1) throw new WardenError('access_denied', 'the user name must be <user> or <user>/<connection>');
    return { user: user.slice(0, slash), connection: user.slice(slash + 1), schema: database || undefined };
  }
  if (!database) return { user, connection: undefined, schema: undefined };
  return { user, ...splitDatabase(database) };
}

/** `<connection>` or `<connection>/<schema>`. */
export function splitDatabase(database: string | undefined): { connection: string; schema: string | undefined } {
  if (!database) throw new WardenError('not_found', 'no database given: the database names the Warden connection (-D <connection> or -D <connection>/<schema>)', { code: '1046' });
  const slash = database.indexOf('/');
  if (slash < 0) return { connection: database, schema: undefined };
  return { connection: database.slice(0, slash), schema: database.slice(slash + 1) || undefined };
}
