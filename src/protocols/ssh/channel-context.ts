import type { Client } from 'ssh2';
import type { Clock } from '../../core/clock.ts';
import type { Request, Verdict } from '../../core/policy/types.ts';
import type { RecordingEvent } from '../../core/recording/types.ts';

/** What one SSH session gives each of its channels (exec, shell): the target, policy, recording. */
export interface ChannelContext {
  /** The logged-in target connection; rejects with a WardenError when it could not be opened. */
  upstream: Promise<Client>;
  /**
   * Policy for a request of this session, with reviews passed through: a
   * `review` verdict comes back as allow or block once the review workflow
   * decided (`notify` tells the user what it waits for; `cancel` gives up a
   * hold). Never throws: errors block.
   */
  decide(request: Request, opts?: { notify?(message: string): void; cancel?: AbortSignal }): Promise<Verdict>;
  record(event: RecordingEvent): void;
  /** Sequence number of the next recorded command. */
  nextSeq(): number;
  /** Byte counters for the session record and metrics. */
  bytes(fromClient: number, toClient: number): void;
  clock: Clock;
  /** Aborted when the session ends, before its end is recorded: a channel records what it cut short. */
  ended: AbortSignal;
  sessionId: string;
  /** Where terminal recordings (asciicast) go. */
  recordingDir: string;
}
