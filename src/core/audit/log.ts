import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { newId } from '../ids.ts';
import { RefusalThrottle } from './throttle.ts';
import type { AuditEvent, AuditQuery, AuditRepo, NewAuditEvent } from './types.ts';

/** Records and searches audit events; built once by the wiring. */
export interface AuditLog {
  /**
   * Appends one event stamped with the injected clock. Never throws: the
   * action it describes already happened (or was already refused), so a store
   * failure is logged at error level with the event rather than turning a
   * refusal into a 500 or undoing a change. Refusals are throttled per kind
   * (`throttle.ts`): past 20 a minute, they are counted on the next one stored.
   */
  record(event: NewAuditEvent): Promise<void>;
  list(query: AuditQuery): Promise<AuditEvent[]>;
}

export function createAuditLog(deps: { repo: AuditRepo; clock: Clock; log: Logger; throttle?: RefusalThrottle }): AuditLog {
  const throttle = deps.throttle ?? new RefusalThrottle();
  return {
    async record(wanted) {
      const e = throttle.admit(wanted, deps.clock.now().getTime());
      if (e === undefined) return;
      const event: AuditEvent = { id: newId('aud'), at: deps.clock.now(), type: e.type, outcome: e.outcome, actor: e.actor, subject: e.subject ?? null, detail: e.detail ?? {} };
      try {
        await deps.repo.append(event);
      } catch (err) {
        deps.log.error({ err, audit: event }, 'audit event could not be stored');
      }
    },
    list: (q) => deps.repo.list(q),
  };
}
