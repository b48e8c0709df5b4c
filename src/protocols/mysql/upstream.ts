import type { Socket } from 'node:net';
import type { AuthorizedTarget } from '../../core/access/index.ts';
import { WardenError } from '../../core/errors.ts';
import { dialTarget, unavailable } from '../../transport/dial.ts';
import type { Dialer } from '../../core/services.ts';
import { isErr, isOk, parseErr, parseOk } from './codec/generic.ts';
import { buildHandshakeResponse, cap, parseAuthSwitch, parseGreeting } from './codec/handshake.ts';
import { packet } from './codec/packet.ts';
import { CachingSha2Exchange } from './caching-sha2.ts';
import { PacketReader } from './packet-reader.ts';
import { sslRequest, startTls } from './target-tls.ts';
import { agentMysqlAuth, vaultMysqlAuth, type MysqlTargetAuth } from './target-auth.ts';

/**
 * The gateway as a client of the target: connect, read its greeting,
 * switch to TLS as the connection says (target-tls.ts), log in with
 * mysql_native_password (following an AuthSwitchRequest to it, to MariaDB's
 * client_ed25519 or to MySQL 8's caching_sha2_password) with answers from the
 * vaulted password or from the agent holding it (target-auth.ts),
 * selecting the schema. Takes an AuthorizedTarget: there is no other way to
 * open an upstream.
 */
export interface Upstream {
  socket: Socket;
  /** The target's own connection id. */
  connectionId: number;
  serverVersion: string;
  /** Status flags from the target's login OK (autocommit…), for the client's OK. */
  status: number;
  leftover: Buffer;
}

/** What the client negotiated with the gateway, to be reproduced towards the target. */
export interface ClientTerms {
  capabilities: number;
  charset: number;
  maxPacket: number;
  schema: string | undefined;
}

/** Capabilities that change the command phase: the target must grant every one the client got. */
const relayCapabilities = cap.protocol41 | cap.foundRows | cap.longFlag | cap.localFiles | cap.ignoreSpace | cap.interactive | cap.transactions | cap.multiStatements | cap.multiResults | cap.psMultiResults;
/** Capabilities a target may lack: the client then simply never sees what they allow (a LOCAL INFILE request). */
const optionalCapabilities = cap.localFiles;

/** `dialer`: how to reach targets served by an agent; without one such targets fail closed. */
export async function openUpstream(target: AuthorizedTarget, terms: ClientTerms, timeoutMs: number, dialer?: Dialer): Promise<Upstream> {
  const { host, port, tls, name, agent } = target.connection;
  const deadline = AbortSignal.timeout(timeoutMs);
  let socket = await dialTarget({ name, host, port, agent, agentGroup: target.connection.agentGroup ?? null }, deadline, dialer);
  let reader = new PacketReader(socket, 1 << 20);
  try {
    // The tunnel stream itself (not a TLS layer over it) is what can ask the agent.
    const auth = target.connection.credentials === 'agent' ? agentMysqlAuth(socket, agent, (why) => unavailable(name, why)) : vaultMysqlAuth(target.credential());
    const first = await reader.next(deadline);
    if (isErr(first.payload)) throw unavailable(name, `the target refused the connection (${parseErr(first.payload).code})`);
    const greeting = parseGreeting(first.payload);
    const needed = cap.protocol41 | cap.secureConnection | cap.pluginAuth;
    if ((greeting.capabilities & needed) !== needed) throw unavailable(name, 'the target is older than MySQL 5.5 / MariaDB 5.5');
    const missing = terms.capabilities & relayCapabilities & ~optionalCapabilities & ~greeting.capabilities;
    if (missing) throw unavailable(name, `the target lacks capabilities the client negotiated (0x${missing.toString(16)})`);
    const schema = terms.schema ?? target.connection.database ?? undefined;
    let capabilities = (terms.capabilities & relayCapabilities & (greeting.capabilities | ~optionalCapabilities)) | needed | (greeting.capabilities & cap.pluginAuthLenencData) | (schema ? cap.connectWithDb : 0) | cap.longPassword;
    let seq = first.seq + 1;
    // `prefer` encrypts when the target offers TLS. fail closed: `require` and `verify-full` never fall back to plaintext.
    if (tls !== 'disable' && greeting.capabilities & cap.ssl) {
      capabilities |= cap.ssl;
      socket.write(packet(seq++, sslRequest(capabilities, terms.maxPacket, terms.charset)));
      // The server reads nothing more in the clear: the TLS layer takes the socket over.
      reader.detach();
      socket = await startTls(socket, tls, host, deadline, name);
      reader = new PacketReader(socket, 1 << 20);
    } else if (tls === 'require' || tls === 'verify-full') throw unavailable(name, `the target does not offer TLS and the connection requires it (tls "${tls}")`);
    const secure = (capabilities & cap.ssl) !== 0;
    socket.write(packet(seq, buildHandshakeResponse({
      capabilities,
      maxPacket: terms.maxPacket,
      charset: terms.charset,
      user: await auth.user(),
      authResponse: await auth.scramble('mysql_native_password', greeting.scramble),
      database: schema,
      authPlugin: 'mysql_native_password',
    })));
    let sha2: CachingSha2Exchange | undefined;
    for (;;) {
      const p = await reader.next(deadline);
      const body = p.payload;
      if (isOk(body)) {
        return { socket, connectionId: greeting.connectionId, serverVersion: greeting.serverVersion, status: parseOk(body).status, leftover: reader.detach() };
      }
      if (isErr(body)) throw loginRefused(name, schema, parseErr(body).code, secure, auth.refusedHint);
      if (body[0] === 0xfe) {
        const { plugin, data } = parseAuthSwitch(body);
        sha2 = plugin === 'caching_sha2_password' ? new CachingSha2Exchange(auth, data, secure) : undefined;
        socket.write(packet(p.seq + 1, sha2 ? await sha2.first() : await switchAnswer(name, auth, plugin, data)));
        continue;
      }
      // AuthMoreData: only caching_sha2_password's steps are expected here.
      if (body[0] === 0x01 && sha2) {
        const answer = await sha2.answer(body.subarray(1));
        if (answer) socket.write(packet(p.seq + 1, answer));
        continue;
      }
      throw unavailable(name, 'unexpected packet during the target login');
    }
  } catch (err) {
    reader.detach();
    socket.destroy();
    if (err instanceof WardenError) throw err;
    throw unavailable(name, (err as Error).message);
  }
}

/** The answer to an AuthSwitchRequest to a plugin other than caching_sha2_password. */
function switchAnswer(connection: string, auth: MysqlTargetAuth, plugin: string, data: Buffer): Promise<Buffer> {
  if (plugin === 'mysql_native_password' || plugin === 'client_ed25519') return auth.scramble(plugin, data);
  // fail closed: an unknown plugin is never answered with a guess (mysql_clear_password included: the
  // password would cross to the target as is, and, held by an agent, to the gateway).
  throw unavailable(connection, `the target asks for the ${plugin} authentication plugin, which Warden does not support for MySQL; use mysql_native_password, ed25519 or caching_sha2_password for the target's user`);
}

/** The target's words may name the vaulted user; the client learns only what it can act on. */
function loginRefused(connection: string, schema: string | undefined, code: number, secure: boolean, hint: string): WardenError {
  if (code === 1049) return new WardenError('not_found', `schema "${schema}" does not exist on the target of connection "${connection}"`);
  if (code === 1044) return new WardenError('access_denied', `the connection "${connection}" may not use schema "${schema}" on its target`, { code: '1044' });
  // A user created REQUIRE SSL is refused like a wrong password (1045): say what else to check when the login was plaintext.
  const tlsHint = secure ? '' : ', or whether the target requires TLS (set the connection\'s tls to "require" or "verify-full")';
  return unavailable(connection, `the target refused the gateway's login (${code}); ${hint}${tlsHint}`);
}



