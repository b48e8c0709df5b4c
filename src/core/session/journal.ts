import type { AuthorizedTarget } from '../access/target.ts';
import type { PackedRecord } from '../recording/packed.ts';
import type { StatementEvent } from '../recording/types.ts';
import type { CoreServices } from '../services.ts';

/**
 * The bookkeeping every protocol session shares, so each protocol only says
 * how its wire maps onto it: the session row and recording opened before
 * relaying, statements and bytes counted into the recording and the metrics,
 * the session registered as live (killable) and ended on gateway shutdown,
 * and everything closed and stored once when it ends.
 */
export interface SessionJournal {
  /** Records one statement (its event is appended to the recording). */
  statement(event: StatementEvent): void;
  /**
   * Records a packed record (recording/packed.ts); `durationMs`: when it is a statement, how long
   * it ran (undefined for a record that only defines what later ones refer to).
   */
  packed(record: PackedRecord, durationMs: number | undefined): void;
  /** Counts relayed bytes. */
  bytes(fromClient: number, toClient: number): void;
  /**
   * Makes the session live: listed, killable through `kill`, and killed when
   * the gateway shuts down. Returns the function that stops all that.
   */
  live(kill: (reason: string) => void, shutdown: AbortSignal): () => void;
  /** Closes the recording and stores the end; safe to call once. Never throws. */
  end(reason: string): Promise<void>;
}

export async function openJournal(core: CoreServices, target: AuthorizedTarget, protocol: string, clientAddress: string): Promise<SessionJournal> {
  const { sessionId, identity, connection } = target;
  const startedAt = core.clock.now();
  // Plain fields, read at scrape time: prom-client's own calls cost more than the rest of counting a statement.
  const tally = core.metrics.tally(protocol);
  await core.sessions.start({ id: sessionId, userId: identity.user.id, userName: identity.user.name, connectionName: connection.name, protocol, clientAddress, startedAt });
  const recording = core.recordings.open(sessionId);
  recording.append({ type: 'session_start', at: startedAt.toISOString(), sessionId, user: identity.user.name, connection: connection.name, protocol, clientAddress });
  core.metrics.sessionsOpen.inc({ protocol });
  core.metrics.sessionsTotal.inc({ protocol });

  let statements = 0;
  let bytesFromClient = 0;
  let bytesToClient = 0;
  let ended = false;
  /** One statement more, in the session's count and the metrics. */
  const counted = (durationMs: number) => {
    statements++;
    tally.statements++;
    tally.observe(durationMs / 1000);
  };
  return {
    statement(event) {
      counted(event.durationMs);
      recording.append(event);
    },
    packed(record, durationMs) {
      if (durationMs !== undefined) counted(durationMs);
      recording.appendPacked(record);
    },
    bytes(fromClient, toClient) {
      bytesFromClient += fromClient;
      bytesToClient += toClient;
      tally.bytesFromClient += fromClient;
      tally.bytesToClient += toClient;
    },
    live(kill, shutdown) {
      const untrack = core.live.add({ id: sessionId, user: identity.user.name, connection: connection.name, protocol, startedAt, tokenId: identity.tokenId, kill });
      const onShutdown = () => kill('the gateway is shutting down');
      shutdown.addEventListener('abort', onShutdown, { once: true });
      return () => {
        untrack();
        shutdown.removeEventListener('abort', onShutdown);
      };
    },
    async end(reason) {
      if (ended) return;
      ended = true;
      core.metrics.sessionsOpen.dec({ protocol });
      const endedAt = core.clock.now();
      recording.append({ type: 'session_end', at: endedAt.toISOString(), reason, bytesFromClient, bytesToClient });
      await recording.close();
      await core.sessions
        .end(sessionId, { endedAt, bytesFromClient, bytesToClient, statements, endReason: reason })
        .catch((err: unknown) => core.log.error({ err, sessionId }, 'cannot store the end of a session'));
    },
  };
}
