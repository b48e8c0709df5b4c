import type { Socket } from 'node:net';
import { authorizeSession, type AuthorizedTarget } from '../../core/access/index.ts';
import { asWardenError } from '../../core/errors.ts';
import type { ListenerContext } from '../../core/protocol.ts';
import type { CoreServices } from '../../core/services.ts';
import { openJournal } from '../../core/session/journal.ts';
import { acceptLogin, type LoginProgress, type LoginResult } from './auth.ts';
import { errPayload, okPayload } from './codec/generic.ts';
import { packet, type Packet } from './codec/packet.ts';
import { acceptChangeUser } from './change-user.ts';
import { refuseLocalInfile } from './local-infile.ts';
import { toErrPacket } from './errors.ts';
import { StatementTracker } from './events.ts';
import { runControlSession } from './control-session.ts';
import { createGatekeeper } from './gatekeeper.ts';
import { answerKill, killSession } from './kill-handler.ts';
import type { MysqlClassifier, MysqlLineage } from '../../core/sql/mysql/index.ts';
import type { SessionDirectory } from './sessions.ts';
import type { RemoteKills } from '../../core/session/remote-kill.ts';
import { Relay } from './relay.ts';
import { createMysqlCatalog } from './catalog.ts';
import { cap } from './codec/handshake.ts';
import { SessionLineage } from '../../core/masking/views.ts';
import { viewTtlMs } from '../../core/masking/service.ts';
import { createMysqlParser } from '../../core/sql/mysql/parser.ts';
import { mysqlViewDialect } from '../../core/sql/mysql/views.ts';
import { openUpstream, type Upstream } from './upstream.ts';

/**
 * One MySQL client session: login → authorize → open the target → relay
 * until either side ends, recording as it goes. A COM_CHANGE_USER ends the
 * session and runs the door again on the same client connection
 * (change-user.ts): a new session, recorded apart. Every failure is answered
 * with an ERR packet and ends only this session.
 */
/** What the sessions of one gateway share: the id directory KILL resolves against, and a classifier to recognise KILL. */
export interface MysqlShared {
  directory: SessionDirectory;
  /** Where a KILL of an id not on this replica goes; absent with one gateway (SQLite store). */
  remoteKills?: RemoteKills | undefined;
  classifier: MysqlClassifier;
  lineage: MysqlLineage;
}

export async function runSession(socket: Socket, ctx: ListenerContext, core: CoreServices, shared: MysqlShared): Promise<void> {
  const connectionId = shared.directory.nextId();
  try {
    await runConnection(socket, ctx, core, shared, connectionId);
  } finally {
    shared.directory.release(connectionId);
  }
}

/** One client connection under the id its greeting announces: its sessions, one after another (COM_CHANGE_USER). */
async function runConnection(socket: Socket, ctx: ListenerContext, core: CoreServices, shared: MysqlShared, connectionId: number): Promise<void> {
  const log = core.log.child({ protocol: 'mysql', client: ctx.clientAddress });
  const progress: LoginProgress = { seq: 0 };
  let login: LoginResult;
  let target: AuthorizedTarget;
  let upstream: Upstream;
  try {
    login = await acceptLogin(socket, ctx.tls, connectionId, progress);
    if (login.connection === undefined) return await runControlSession(core, login, shared);
    target = await authorizeSession(core, { user: login.user, token: login.token }, login.connection, 'mysql');
    upstream = await openUpstream(target, login, core.config.upstreamConnectTimeoutMs, core.dialer);
  } catch (err) {
    const e = asWardenError(err);
    log.info({ kind: e.kind, reason: e.message }, 'session refused');
    core.metrics.errors.inc({ protocol: 'mysql', kind: e.kind });
    const client = progress.stream ?? socket;
    if (!client.destroyed) client.end(toErrPacket(e, progress.seq));
    return;
  }
  const client = login.stream;
  // Paused until the relay listens: a client may send its first command as soon as it reads the OK,
  // and a flowing socket without a 'data' listener would drop it (Relay.start resumes).
  client.pause();
  client.write(packet(login.nextSeq, okPayload({ status: upstream.status })));
  for (;;) {
    let change: ChangeRequest | undefined;
    try {
      change = await relaySession(core, ctx, client, login, target, upstream, shared, connectionId);
    } catch (err) {
      // The store or recording failed mid-session: end both sides rather than relay unrecorded.
      log.error({ err, sessionId: target.sessionId }, 'session failed');
      upstream.socket.destroy();
      client.destroy();
      return;
    }
    if (change === undefined) return;
    // COM_CHANGE_USER: the session above has ended; the same connection logs in anew through the one door.
    const again: LoginProgress = { seq: change.request.seq + 1 };
    try {
      login = await acceptChangeUser(client, change.request, change.leftover, login, again);
      target = await authorizeSession(core, { user: login.user, token: login.token }, login.connection!, 'mysql');
      upstream = await openUpstream(target, login, core.config.upstreamConnectTimeoutMs, core.dialer);
    } catch (err) {
      const e = asWardenError(err);
      log.info({ kind: e.kind, reason: e.message }, 'change of user refused');
      core.metrics.errors.inc({ protocol: 'mysql', kind: e.kind });
      if (!client.destroyed) client.end(toErrPacket(e, again.seq));
      return;
    }
    client.pause();
    client.write(packet(login.nextSeq, okPayload({ status: upstream.status })));
  }
}

/** A COM_CHANGE_USER the relay stopped at, with the client bytes that followed it. */
interface ChangeRequest {
  request: Packet;
  leftover: Buffer;
}

/** Relays one session until it ends; returns the COM_CHANGE_USER that ended it, if one did. */
async function relaySession(core: CoreServices, ctx: ListenerContext, client: Socket, login: LoginResult, target: AuthorizedTarget, upstream: Upstream, shared: MysqlShared, connectionId: number): Promise<ChangeRequest | undefined> {
  const { identity, connection } = target;
  const journal = await openJournal(core, target, 'mysql', ctx.clientAddress);
  const tracker = new StatementTracker(
    (event) => journal.statement(event),
    { maxRows: core.config.recording.maxRowsPerStatement, maxBytes: core.config.recording.maxBytesPerStatement },
    core.clock,
    core.masking.hashKey,
    shared.lineage,
    () => openViewLineage(core, target),
    (record, durationMs) => journal.packed(record, durationMs),
  );
  // Aborted when the session ends: a statement held for review stops waiting (the review stays pending).
  const sessionEnded = new AbortController();
  const gatekeeper = createGatekeeper(core, identity, connection, sessionEnded.signal);
  const timeoutMs = core.config.upstreamConnectTimeoutMs;
  const killCtx = { classifier: shared.classifier, directory: shared.directory, who: identity, tracker, timeoutMs, dialer: core.dialer, remote: shared.remoteKills };
  const targetConnectionId = upstream.connectionId;
  const unlist = shared.directory.add(connectionId, { target, targetConnectionId, kill: (scope) => killSession(target, targetConnectionId, scope, timeoutMs, core.dialer) });

  let endReason = '';
  let change: ChangeRequest | undefined;
  let cleanup = () => {};
  await new Promise<void>((resolve) => {
    const relay = new Relay(client, upstream.socket, {
      decide: gatekeeper.decide,
      decideNow: gatekeeper.decideNow,
      review: gatekeeper.review,
      answerItself: (text) => answerKill(killCtx, text),
      localInfile: (statement, requested) => refuseLocalInfile(shared.classifier, statement, requested),
      changeUser: (request, leftover) => {
        change = { request, leftover };
      },
      tracker,
      onBytes: (inBytes, outBytes) => journal.bytes(inBytes, outBytes),
      onEnd: (reason) => {
        endReason = reason;
        sessionEnded.abort();
        resolve();
      },
    });
    // ER_CONNECTION_KILLED, sent unasked as the server does when it kills a connection.
    const terminate = (reason: string) => relay.end(reason, packet(0, errPayload({ code: 1927, sqlstate: '70100', message: `terminating connection: ${reason}` })));
    cleanup = journal.live(terminate, ctx.shutdown);
    relay.start(login.leftover, upstream.leftover);
  });

  unlist();
  cleanup();
  tracker.close();
  tracker.flush(endReason);
  await journal.end(endReason);
  return change;
}

/**
 * The session's view lineage: catalog lookups on a second connection to the
 * same target with the same credential (catalog.ts says why not the
 * session's own), opened on first use.
 */
function openViewLineage(core: CoreServices, target: AuthorizedTarget): SessionLineage {
  const timeoutMs = core.config.upstreamConnectTimeoutMs;
  const terms = { capabilities: cap.protocol41 | cap.transactions, charset: 45 /* utf8mb4_general_ci */, maxPacket: 1 << 24, schema: undefined };
  const catalog = createMysqlCatalog(() => openUpstream(target, terms, timeoutMs, core.dialer), timeoutMs);
  return new SessionLineage(mysqlViewDialect(createMysqlParser()), catalog, core.clock, viewTtlMs);
}
