import type { WardenError } from '../../core/errors.ts';

/**
 * WardenError → what an SSH client shows: a line on the channel's stderr and
 * an exit status, in one place. SSH has no error codes of its own after
 * login; OpenSSH uses 255 for its own failures, so the gateway's refusals of
 * a whole session use it too, and a blocked command exits 1 like a failed one.
 */
export const exitStatusBlocked = 1;
export const exitStatusGateway = 255;

export function stderrLine(err: Pick<WardenError, 'message'>): string {
  return `warden: ${err.message}\r\n`;
}
