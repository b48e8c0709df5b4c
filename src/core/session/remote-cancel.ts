import { createHmac, hkdfSync } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';

/**
 * Cancels that land on the wrong replica. A client cancels on a new
 * connection (PostgreSQL CancelRequest), and a load balancer may send that to
 * any gateway replica; only the replica that minted the key knows the
 * session. The others pass the cancel on over the event bus — as a keyed
 * digest of the key, never the key itself: the bus (PostgreSQL NOTIFY) is
 * readable by anyone with the store's credentials, and a plain hash of a
 * 64-bit key whose process id half is public is brute-forced in seconds.
 * The HMAC key is derived from the vault master key every replica shares.
 */
export interface RemoteCancels {
  /** What replicas compare: HMAC-SHA256 of `key` (e.g. `postgres:<pid>:<secret>`), hex. */
  digest(key: string): string;
  /** Asks every replica to cancel the session whose key has this digest. Best effort, unanswered, as cancels are. */
  request(digest: string): void;
  /** Calls `handler` with each digest any replica asks for; returns the unsubscribe. */
  listen(handler: (digest: string) => void): () => void;
}

/**
 * At most this many cancels a second are passed on: anyone may send a
 * CancelRequest without logging in, and each one passed on is a NOTIFY on
 * the shared store. Past it they are dropped, as a wrong key would be.
 */
const perSecond = 50;

export function createRemoteCancels(d: { events: EventBus; masterKey: Buffer; clock: Clock }): RemoteCancels {
  const key = Buffer.from(hkdfSync('sha256', d.masterKey, Buffer.alloc(0), 'warden cancel-key digest v1', 32));
  let windowStart = 0;
  let sent = 0;
  return {
    digest: (k) => createHmac('sha256', key).update(k).digest('hex'),
    request(digest) {
      const now = d.clock.now().getTime();
      if (now - windowStart >= 1000) {
        windowStart = now;
        sent = 0;
      }
      if (++sent > perSecond) return;
      void d.events.publish({ type: 'cancel.requested', digest });
    },
    listen: (handler) =>
      d.events.subscribe((e) => {
        if (e.type === 'cancel.requested') handler(e.digest);
      }),
  };
}
