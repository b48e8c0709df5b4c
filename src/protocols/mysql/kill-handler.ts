import type { Dialer } from '../../core/services.ts';
import type { KillScope } from '../../core/events.ts';
import type { Identity } from '../../core/identity/types.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { RemoteKills } from '../../core/session/remote-kill.ts';
import type { MysqlClassifier } from '../../core/sql/mysql/index.ts';
import { com } from './codec/commands.ts';
import { errPayload, isErr, okPayload, parseErr, serverStatus, type ErrInfo } from './codec/generic.ts';
import { packet } from './codec/packet.ts';
import { cap } from './codec/handshake.ts';
import type { StatementTracker } from './events.ts';
import { parseKill, type KillRequest } from './kill.ts';
import { PacketReader } from './packet-reader.ts';
import type { SessionDirectory } from './sessions.ts';
import { openUpstream } from './upstream.ts';

/**
 * Answers `KILL [QUERY|CONNECTION] <gateway id>` in place of the target,
 * before policy (which blocks KILL as admin): a client may only kill its own
 * work. The id is resolved in the gateway's session directory; only a
 * session of the same Warden user is killed, by sending
 * `KILL QUERY|CONNECTION <target id>` on a short-lived connection of the
 * gateway to that session's target. Another user's session here is ERR
 * 1095, as the server answers for another user's thread. An id not on this
 * replica is asked of the others over the event bus (`remote`, only when
 * replicas share a store): OK when the owner confirms, ERR 1094 (unknown
 * thread) when no replica answers within `remoteWaitMs`.
 */
export interface KillContext {
  classifier: MysqlClassifier;
  directory: SessionDirectory;
  who: Identity;
  tracker: StatementTracker;
  timeoutMs: number;
  dialer?: Dialer;
  remote?: RemoteKills | undefined;
}

/** How long a KILL waits for another replica's answer before it is "unknown thread": a NOTIFY round trip takes milliseconds. */
export const remoteWaitMs = 2000;

const rule = { id: 'warden:kill-own', reason: 'a client may kill only its own sessions, mapped to the target by the gateway' };

/**
 * `undefined` (at once, so an ordinary statement costs no promise): not a
 * KILL, judge it as usual. Otherwise the payload (OK or ERR) to answer with.
 */
export function answerKill(ctx: KillContext, text: string): Promise<Buffer> | undefined {
  const req = parseKill(ctx.classifier, text);
  return req === undefined ? undefined : answerParsedKill(ctx, text, req);
}

async function answerParsedKill(ctx: KillContext, text: string, req: KillRequest): Promise<Buffer> {
  const refuse = (e: ErrInfo): Buffer => {
    const verdict: Verdict = { effect: 'block', rules: [rule], message: e.message };
    ctx.tracker.stopped(text, verdict, String(e.code), e.message);
    return errPayload(e);
  };
  if (!req.ok) return refuse({ code: 1235, sqlstate: '42000', message: `KILL is not supported in this form: ${req.reason}` });
  const victim = ctx.directory.get(req.id);
  if (!victim && ctx.remote) return answerRemoteKill(ctx, ctx.remote, text, req, refuse);
  // fail closed: an unknown id and another user's session look the same, as on the server.
  if (!victim || victim.target.identity.user.id !== ctx.who.user.id) return refuse({ code: 1095, sqlstate: 'HY000', message: `You are not owner of thread ${req.id}` });
  ctx.tracker.begin(text, { effect: 'allow', rules: [rule] });
  let answer: Buffer;
  try {
    await victim.kill(req.scope);
    ctx.tracker.ok(0);
    answer = okPayload({ status: serverStatus.autocommit });
  } catch (err) {
    const e = err instanceof TargetError ? err.info : { code: 1105, sqlstate: 'HY000', message: `the gateway could not reach the target to kill ${req.id}: ${(err as Error).message}` };
    ctx.tracker.error(e.code, e.message);
    answer = errPayload(e);
  }
  ctx.tracker.end();
  return answer;
}

/** The id is not on this replica: the owner replica kills, if it is this user's session. */
async function answerRemoteKill(ctx: KillContext, remote: RemoteKills, text: string, req: KillRequest & { ok: true }, refuse: (e: ErrInfo) => Buffer): Promise<Buffer> {
  const done = await remote.request({ protocol: 'mysql', connectionId: req.id, userId: ctx.who.user.id, scope: req.scope }, remoteWaitMs);
  // fail closed: no answer is "unknown thread", never a kill assumed done.
  if (done === undefined) return refuse({ code: 1094, sqlstate: 'HY000', message: `Unknown thread id: ${req.id}` });
  ctx.tracker.begin(text, { effect: 'allow', rules: [rule] });
  if (done) {
    ctx.tracker.ok(0);
    ctx.tracker.end();
    return okPayload({ status: serverStatus.autocommit });
  }
  const e = { code: 1105, sqlstate: 'HY000', message: `the gateway replica holding ${req.id} could not kill it on the target` };
  ctx.tracker.error(e.code, e.message);
  ctx.tracker.end();
  return errPayload(e);
}

/**
 * Serves other replicas' KILLs for this replica's sessions: only a session
 * of the asking user is killed, exactly as for a local KILL; anything else
 * stays unanswered. Returns the unsubscribe.
 */
export function serveRemoteKills(remote: RemoteKills, directory: SessionDirectory): () => void {
  return remote.serve('mysql', (order) => {
    const victim = directory.get(order.connectionId);
    // fail closed: not this user's session here (or none) gets no answer, so the asker says "unknown thread".
    if (!victim || victim.target.identity.user.id !== order.userId) return undefined;
    return victim.kill(order.scope).then(
      () => true,
      () => false,
    );
  });
}

/** What `LiveMysqlSession.kill` does: the target's own KILL for the session's upstream connection. */
export function killSession(target: Parameters<typeof openUpstream>[0], targetConnectionId: number, scope: KillScope, timeoutMs: number, dialer?: Dialer): Promise<void> {
  return killOnTarget(target, `KILL ${scope === 'query' ? 'QUERY' : 'CONNECTION'} ${targetConnectionId}`, timeoutMs, dialer);
}

class TargetError extends Error {
  constructor(readonly info: ErrInfo) {
    super(info.message);
  }
}

/** One statement on a fresh gateway connection to the session's target, then goodbye. */
async function killOnTarget(target: Parameters<typeof openUpstream>[0], sql: string, timeoutMs: number, dialer?: Dialer): Promise<void> {
  const up = await openUpstream(target, { capabilities: cap.protocol41 | cap.transactions, charset: 45, maxPacket: 1 << 24, schema: undefined }, timeoutMs, dialer);
  const reader = new PacketReader(up.socket, 1 << 16);
  try {
    if (up.leftover.length) throw new Error('unexpected data after login');
    up.socket.write(packet(0, Buffer.concat([Buffer.from([com.query]), Buffer.from(sql, 'utf8')])));
    const answer = await reader.next(AbortSignal.timeout(timeoutMs));
    if (isErr(answer.payload)) throw new TargetError(parseErr(answer.payload));
    up.socket.end(packet(0, Buffer.from([com.quit])));
  } finally {
    reader.detach();
    setTimeout(() => up.socket.destroy(), 1000).unref();
  }
}
