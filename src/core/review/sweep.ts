import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { LiveSessions } from '../session/live.ts';
import type { ReviewService } from './service-types.ts';

/**
 * The periodic review housekeeping of one replica: pending reviews past their
 * timeout become `expired`, and access grants that asked for it end the
 * requester's sessions on the connection when they lapse. Live sessions are
 * per replica, so every replica sweeps its own; a session opened after the
 * grant lapsed never ran under it and is left alone, so sweeping twice (or
 * on several replicas) ends nothing twice.
 */
export interface SweeperDeps {
  reviews: Pick<ReviewService, 'expireDue' | 'lapsedGrants'>;
  live: Pick<LiveSessions, 'list' | 'kill'>;
  clock: Clock;
  log: Logger;
}

export function createReviewSweeper(d: SweeperDeps): { sweep(): Promise<{ expired: number; closed: string[] }> } {
  // Grants that lapsed before this replica started had no session here.
  let since = d.clock.now();
  let running: Promise<{ expired: number; closed: string[] }> | undefined;

  async function once(): Promise<{ expired: number; closed: string[] }> {
    const now = d.clock.now();
    const expired = await d.reviews.expireDue();
    const closed: string[] = [];
    for (const grant of await d.reviews.lapsedGrants(since)) {
      const until = grant.validUntil!;
      for (const s of d.live.list()) {
        if (s.user !== grant.requester || s.connection !== grant.connection || s.startedAt.getTime() >= until.getTime()) continue;
        const reason = `access grant ${grant.id} for ${grant.connection} expired at ${until.toISOString()}; ask for access again (warden request ${grant.connection} --for … --reason …)`;
        if (d.live.kill(s.id, reason)) {
          closed.push(s.id);
          d.log.info({ review: grant.id, session: s.id, user: s.user, connection: s.connection }, 'session closed: its access grant expired');
        }
      }
    }
    since = now;
    return { expired, closed };
  }

  return {
    /** One pass; overlapping calls share the pass in progress. */
    sweep() {
      running ??= once().finally(() => (running = undefined));
      return running;
    },
  };
}
