import type { Socket } from 'node:net';
import { WardenError } from '../../core/errors.ts';
import { whoAndWhere, type LoginProgress, type LoginResult } from './auth.ts';
import { parseChangeUser } from './codec/change-user.ts';
import { authSwitchRequest, newScramble } from './codec/handshake.ts';
import { packet, type Packet } from './codec/packet.ts';
import { PacketReader } from './packet-reader.ts';

/**
 * COM_CHANGE_USER as a new login on the same client connection: the new
 * user's Warden token is asked for exactly as at login (an AuthSwitchRequest
 * to `mysql_clear_password`, unless the client already sent cleartext), and
 * the database (or `<user>/<connection>`) names the connection again. The
 * caller then runs the whole door again (authorizeSession: token, connection,
 * policy 'connect') and opens a new upstream: the previous session has ended
 * and a new one — with its own recording — starts. A refused change ends the
 * connection (fail closed: there is no half-logged-in state to fall back to).
 *
 * `previous`: the login being replaced (its capabilities and TLS stay).
 * Throws WardenError; `progress.seq` is the sequence id an ERR must use.
 */
const changeTimeoutMs = 30_000;

export async function acceptChangeUser(stream: Socket, request: Packet, leftover: Buffer, previous: LoginResult, progress: LoginProgress): Promise<LoginResult> {
  const deadline = AbortSignal.timeout(changeTimeoutMs);
  progress.seq = request.seq + 1;
  if (leftover.length) stream.unshift(leftover);
  const reader = new PacketReader(stream, 64 * 1024);
  stream.resume();
  try {
    const change = parseChangeUser(request.payload, previous.capabilities);
    if (!change.user) throw new WardenError('access_denied', 'no user name given: change to your Warden user');
    let token: Buffer;
    if (change.authPlugin === 'mysql_clear_password') token = change.authResponse;
    else {
      stream.write(packet(progress.seq, authSwitchRequest('mysql_clear_password', Buffer.concat([newScramble(), Buffer.from([0])]))));
      const reply = await reader.next(deadline);
      progress.seq = reply.seq + 1;
      token = reply.payload;
    }
    if (token.length > 0 && token[token.length - 1] === 0) token = token.subarray(0, token.length - 1);
    const { user, connection, schema } = whoAndWhere(change.user, change.database);
    // fail closed: a change without a connection would leave a client logged in to nothing.
    if (connection === undefined) throw new WardenError('not_found', 'no database given: the database names the Warden connection (-D <connection> or -D <connection>/<schema>)', { code: '1046' });
    return {
      ...previous,
      user,
      token: token.toString('utf8'),
      connection,
      schema,
      // The login's charset is one byte; a collation id beyond it keeps the previous one.
      charset: change.charset !== undefined && change.charset < 256 ? change.charset : previous.charset,
      nextSeq: progress.seq,
      leftover: reader.detach(),
    };
  } catch (err) {
    reader.detach();
    if (err instanceof WardenError) throw err;
    throw new WardenError('bad_request', `invalid COM_CHANGE_USER: ${(err as Error).message}`, { code: '1043', cause: err });
  }
}
