import { randomUUID } from 'node:crypto';
import type { EventBus, KillScope } from '../events.ts';

/**
 * Kills that land on the wrong replica. A client kills a session by the
 * number it was shown (MySQL `KILL <id>`, sent by the mariadb CLI on Ctrl-C
 * from a new connection), and a load balancer may send that connection to
 * any replica; only the replica holding the session can kill it. The others
 * ask over the event bus and wait a bounded time for the owner's answer.
 *
 * The request names the id and the asking user's id, nothing secret: the
 * owner kills only a session of that same user, exactly as for a local KILL,
 * and stays silent otherwise, so another user learns nothing but "no answer".
 */
export interface KillOrder {
  protocol: string;
  connectionId: number;
  userId: string;
  scope: KillScope;
}

export interface RemoteKills {
  /**
   * Asks every replica. `true`: the owner killed; `false`: the owner tried
   * and the target refused or was unreachable; `undefined`: no answer within
   * `timeoutMs` (no such session of this user anywhere, or the bus lost it).
   */
  request(order: KillOrder, timeoutMs: number): Promise<boolean | undefined>;
  /**
   * Answers the orders for `protocol`: `kill` returns undefined when the
   * order names no session of its user on this replica (nothing is sent),
   * else whether the kill worked. Returns the unsubscribe.
   */
  serve(protocol: string, kill: (order: KillOrder) => Promise<boolean> | undefined): () => void;
}

/**
 * At most this many kills wait for an answer at once on a replica; past it
 * a kill is answered as unknown at once rather than piling up NOTIFYs.
 */
const maxPending = 100;

export function createRemoteKills(d: { events: EventBus }): RemoteKills {
  const pending = new Map<string, (ok: boolean) => void>();
  // Lives as long as the event bus, which drops its handlers when it closes.
  d.events.subscribe((e) => {
    if (e.type === 'session.kill.done') pending.get(e.requestId)?.(e.ok);
  });
  return {
    request(order, timeoutMs) {
      if (pending.size >= maxPending) return Promise.resolve(undefined);
      const requestId = randomUUID();
      return new Promise((resolve) => {
        const finish = (ok: boolean | undefined) => {
          clearTimeout(timer);
          pending.delete(requestId);
          resolve(ok);
        };
        // fail closed: silence is "unknown", never a kill assumed done.
        const timer = setTimeout(() => finish(undefined), timeoutMs);
        pending.set(requestId, finish);
        void d.events.publish({ type: 'session.kill.requested', requestId, ...order });
      });
    },
    serve: (protocol, kill) =>
      d.events.subscribe((e) => {
        if (e.type !== 'session.kill.requested' || e.protocol !== protocol) return;
        const { requestId } = e;
        const done = kill({ protocol: e.protocol, connectionId: e.connectionId, userId: e.userId, scope: e.scope });
        if (done === undefined) return;
        void done.then(
          (ok) => d.events.publish({ type: 'session.kill.done', requestId, ok }),
          () => d.events.publish({ type: 'session.kill.done', requestId, ok: false }),
        );
      }),
  };
}
