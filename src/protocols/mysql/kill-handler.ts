import type { Dialer } from '../../core/services.ts';
import type { Identity } from '../../core/identity/types.ts';
import type { Verdict } from '../../core/policy/types.ts';
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
 * gateway to that session's target. Anything else is ERR 1095, as the
 * server answers for another user's thread.
 */
export interface KillContext {
  classifier: MysqlClassifier;
  directory: SessionDirectory;
  who: Identity;
  tracker: StatementTracker;
  timeoutMs: number;
  dialer?: Dialer;
}

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
  // fail closed: an unknown id and another user's session look the same, as on the server.
  if (!victim || victim.target.identity.user.id !== ctx.who.user.id) return refuse({ code: 1095, sqlstate: 'HY000', message: `You are not owner of thread ${req.id}` });
  ctx.tracker.begin(text, { effect: 'allow', rules: [rule] });
  let answer: Buffer;
  try {
    await killOnTarget(victim.target, `KILL ${req.scope === 'query' ? 'QUERY' : 'CONNECTION'} ${victim.targetConnectionId}`, ctx.timeoutMs, ctx.dialer);
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
