import type { Client } from 'ssh2';
import type { AuthorizedTarget } from '../../core/access/index.ts';
import type { ListenerContext } from '../../core/protocol.ts';
import type { CoreServices } from '../../core/services.ts';
import { castFileName } from '../../core/recording/disk.ts';
import { reviewForSession } from '../../core/review/gate.ts';
import type { ChannelContext } from './channel-context.ts';

/**
 * The record side of one SSH session: the session row, its event recording,
 * metrics and the live-session entry (so an admin can kill it), opened once
 * login succeeded and closed exactly once when the connection is gone.
 */
export interface OpenSession {
  channels: ChannelContext;
  /** The file name of this session's next terminal recording (castFileName). */
  castName(): string;
  /** Notes that the target hung up, then ends the client connection. */
  targetClosed(endClient: () => void): void;
  endReason(): string;
  end(reason: string): Promise<void>;
}

export function openSessionRecord(core: CoreServices, ctx: ListenerContext, target: AuthorizedTarget, upstream: Promise<Client>, endClient: () => void): OpenSession {
  const { sessionId, identity, connection } = target;
  const startedAt = core.clock.now();
  const started = core.sessions
    .start({ id: sessionId, userId: identity.user.id, userName: identity.user.name, connectionName: connection.name, protocol: 'ssh', clientAddress: ctx.clientAddress, startedAt })
    .catch((err: unknown) => core.log.error({ err, sessionId }, 'cannot store the start of a session'));
  const recording = core.recordings.open(sessionId);
  recording.append({ type: 'session_start', at: startedAt.toISOString(), sessionId, user: identity.user.name, connection: connection.name, protocol: 'ssh', clientAddress: ctx.clientAddress });
  core.metrics.sessionsOpen.inc({ protocol: 'ssh' });
  core.metrics.sessionsTotal.inc({ protocol: 'ssh' });
  const bytesIn = core.metrics.bytes.labels('ssh', 'from_client');
  const bytesOut = core.metrics.bytes.labels('ssh', 'to_client');

  let reason: string | undefined;
  let bytesFromClient = 0;
  let bytesToClient = 0;
  let commands = 0;
  // Numbered when a command starts: channels of one connection may run side by side.
  let seq = 0;
  let casts = 0;
  const untrack = core.live.add({
    id: sessionId,
    user: identity.user.name,
    connection: connection.name,
    protocol: 'ssh',
    startedAt,
    kill: (why: string) => {
      reason ??= `killed: ${why}`;
      endClient();
    },
  });
  const sessionOver = new AbortController();
  const subject = () => ({ user: identity.user.name, groups: identity.user.groups, connection: connection.name, connectionTags: connection.tags, at: core.clock.now() });
  const channels: ChannelContext = {
    upstream,
    decide: async (request, opts) => {
      const verdict = await core.policy.decide(subject(), request);
      if (verdict.effect !== 'review' || (request.kind !== 'command' && request.kind !== 'shell')) return verdict;
      return reviewForSession(core, identity.user, connection.name, {
        // A shell open is reviewed as this text, so an approved queued review lets the next shell open.
        text: request.kind === 'shell' ? '(interactive shell)' : request.line,
        verdict,
        cancel: opts?.cancel ?? sessionOver.signal,
        // The session ending (gateway shutdown included) leaves the review pending and decidable.
        ended: sessionOver.signal,
        onWaiting: (review) => opts?.notify?.(`waiting for approval: review ${review.id} (warden reviews show ${review.id}); Ctrl-C to give up`),
      });
    },
    record: (event) => {
      if (event.type === 'statement') {
        commands++;
        core.metrics.statements.labels('ssh').inc();
      }
      recording.append(event);
    },
    nextSeq: () => ++seq,
    bytes: (fromClient, toClient) => {
      bytesFromClient += fromClient;
      bytesToClient += toClient;
      if (fromClient) bytesIn.inc(fromClient);
      if (toClient) bytesOut.inc(toClient);
    },
    clock: core.clock,
    ended: sessionOver.signal,
    sessionId,
    recordingDir: core.config.recording.dir,
  };
  let ended: Promise<void> | undefined;
  return {
    channels,
    castName: () => castFileName(sessionId, ++casts),
    targetClosed: (end) => {
      reason ??= 'target_closed';
      end();
    },
    endReason: () => reason ?? 'client_closed',
    end: (why) =>
      (ended ??= (async () => {
        sessionOver.abort();
        untrack();
        // The target connection lives exactly as long as the client's.
        void upstream.then((u) => u.end(), () => undefined);
        core.metrics.sessionsOpen.dec({ protocol: 'ssh' });
        const endedAt = core.clock.now();
        const endReason = reason ?? why;
        recording.append({ type: 'session_end', at: endedAt.toISOString(), reason: endReason, bytesFromClient, bytesToClient });
        await recording.close();
        await started;
        await core.sessions
          .end(sessionId, { endedAt, bytesFromClient, bytesToClient, statements: commands, endReason })
          .catch((err: unknown) => core.log.error({ err, sessionId }, 'cannot store the end of a session'));
      })()),
  };
}
