import type { Clock } from '../core/clock.ts';
import type { AgentRoute } from '../core/connections/route.ts';
import type { Mux } from './mux.ts';

/** One live link from an agent process to this gateway. */
export interface AgentLink {
  agent: string;
  agentId: string;
  /** The groups the agent serves (from its record when the link came up; fixed at the agent's creation). */
  groups: readonly string[];
  version: string | null;
  remoteAddress: string;
  connectedAt: Date;
  lastHeartbeatAt: Date;
  mux: Pick<Mux, 'open' | 'size'>;
  /** Drops the link (revocation, shutdown); every stream on it ends. */
  close(code: number, reason: string): void;
}

const serves = (l: AgentLink, route: AgentRoute): boolean => (route.kind === 'agent' ? l.agent === route.name : l.groups.includes(route.name));

/**
 * Which agents are connected to this gateway right now. A route names one
 * agent (several links may serve it: agent replicas, or one per gateway
 * replica) or a group (every link of every agent in it). Callers waiting for
 * an offline route are woken when a link that serves it connects.
 *
 * Spread: the link with the fewest streams in flight, ties taken in turn.
 * Sessions differ wildly in length (a psql left open all day, a pgbench burst
 * of short ones), so plain round-robin keeps feeding an agent that already
 * carries the long ones; the in-flight count (`mux.size`, counted as soon as
 * a stream is asked for) is known here for free. The count is this replica's
 * only: each agent keeps one link per replica, so every replica balancing its
 * own share balances the whole.
 */
export class AgentRegistry {
  #links: AgentLink[] = [];
  readonly #waiters = new Set<{ route: AgentRoute; wake: () => void }>();
  readonly #clock: Clock;
  #turn = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  add(link: AgentLink): void {
    this.#links.push(link);
    for (const w of [...this.#waiters]) if (serves(link, w.route)) w.wake();
  }

  remove(link: AgentLink): void {
    this.#links = this.#links.filter((l) => l !== link);
  }

  /** A link serving `route` (least streams in flight, ties in turn); undefined when none is connected. */
  pick(route: AgentRoute): AgentLink | undefined {
    const candidates = this.#links.filter((l) => serves(l, route));
    if (candidates.length === 0) return undefined;
    this.#turn = (this.#turn + 1) % 1_000_000;
    let best: AgentLink | undefined;
    for (let i = 0; i < candidates.length; i++) {
      const l = candidates[(this.#turn + i) % candidates.length]!;
      if (best === undefined || l.mux.size < best.mux.size) best = l;
    }
    return best;
  }

  /** Resolves with a link as soon as `route` has one, or with undefined after `ms`. */
  async waitFor(route: AgentRoute, ms: number): Promise<AgentLink | undefined> {
    const now = this.pick(route);
    if (now !== undefined || ms <= 0) return now;
    return new Promise((resolve) => {
      const waiter = {
        route,
        wake: () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(this.pick(route));
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      this.#waiters.add(waiter);
    });
  }

  heartbeat(link: AgentLink): void {
    link.lastHeartbeatAt = this.#clock.now();
  }

  /** Drops every link of `agent` (its token was revoked); the other agents of its groups keep serving them. */
  drop(agent: string, reason: string): number {
    const list = this.#links.filter((l) => l.agent === agent);
    for (const l of list) l.close(4003, reason);
    return list.length;
  }

  list(): AgentLink[] {
    return [...this.#links];
  }

  closeAll(reason: string): void {
    for (const l of this.list()) l.close(1001, reason);
  }
}
