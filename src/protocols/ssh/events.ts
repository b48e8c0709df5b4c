import type { Verdict } from '../../core/policy/types.ts';
import type { StatementEvent } from '../../core/recording/types.ts';
import { recordedVerdict } from '../../core/recording/verdict.ts';

/**
 * Wire → neutral events for SSH. An exec is recorded as a StatementEvent (the
 * recording's one request/answer shape): the command line as text, the exit
 * status as the tag (`exit 0`, `signal TERM`, `blocked`), and one row with
 * the byte counts — `stdout_bytes`, `stderr_bytes` — so replay and audit see
 * what a command produced without the recording holding the output itself.
 */
export interface ExecOutcome {
  at: Date;
  seq: number;
  command: string;
  verdict: Verdict;
  durationMs: number;
  exit: { code: number } | { signal: string } | { blocked: string } | { error: string };
  stdoutBytes: number;
  stderrBytes: number;
}

export function execEvent(o: ExecOutcome): StatementEvent {
  const event: StatementEvent = {
    type: 'statement',
    at: o.at.toISOString(),
    seq: o.seq,
    text: o.command,
    durationMs: o.durationMs,
    columns: ['stdout_bytes', 'stderr_bytes'],
    rows: [[String(o.stdoutBytes), String(o.stderrBytes)]],
    rowCount: 1,
    rowsTruncated: false,
    verdict: recordedVerdict(o.verdict),
  };
  if ('code' in o.exit) event.commandTag = `exit ${o.exit.code}`;
  else if ('signal' in o.exit) event.commandTag = `signal ${o.exit.signal}`;
  else if ('blocked' in o.exit) event.error = { code: 'blocked', message: o.exit.blocked };
  else event.error = { code: 'upstream', message: o.exit.error };
  return event;
}

/**
 * A line typed into an interactive shell, as judged at Enter: tagged `typed`
 * when it was passed to the shell (its output is in the asciicast, its exit
 * status only the shell knows), or carrying the block as its error.
 */
export function typedEvent(o: { at: Date; seq: number; line: string; verdict: Verdict; uncertain: string | undefined; blocked: string | undefined }): StatementEvent {
  const event: StatementEvent = { type: 'statement', at: o.at.toISOString(), seq: o.seq, text: o.line, durationMs: 0, rowCount: 0, rowsTruncated: false, verdict: recordedVerdict(o.verdict) };
  if (o.blocked === undefined) event.commandTag = 'typed';
  else event.error = { code: 'blocked', message: o.blocked };
  if (o.uncertain !== undefined) event.uncertain = o.uncertain;
  return event;
}
