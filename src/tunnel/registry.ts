import type { Clock } from '../core/clock.ts';
import type { Mux } from './mux.ts';

/** One live link from an agent process to this gateway. */
export interface AgentLink {
  agent: string;
  agentId: string;
  version: string | null;
  remoteAddress: string;
  connectedAt: Date;
  lastHeartbeatAt: Date;
  mux: Mux;
  /** Drops the link (revocation, shutdown); every stream on it ends. */
  close(code: number, reason: string): void;
}

/**
 * Which agents are connected to this gateway right now. Several links may
 * serve one agent name (agent replicas); new streams go round-robin across
 * them. Callers waiting for an offline agent are woken when it connects.
 */
export class AgentRegistry {
  readonly #links = new Map<string, AgentLink[]>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #clock: Clock;
  #turn = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  add(link: AgentLink): void {
    const list = this.#links.get(link.agent) ?? [];
    list.push(link);
    this.#links.set(link.agent, list);
    for (const wake of this.#waiters.get(link.agent) ?? []) wake();
  }

  remove(link: AgentLink): void {
    const list = (this.#links.get(link.agent) ?? []).filter((l) => l !== link);
    if (list.length === 0) this.#links.delete(link.agent);
    else this.#links.set(link.agent, list);
  }

  /** A link for `agent`, spreading sessions across its links; undefined when none is connected. */
  pick(agent: string): AgentLink | undefined {
    const list = this.#links.get(agent);
    if (list === undefined || list.length === 0) return undefined;
    this.#turn = (this.#turn + 1) % 1_000_000;
    return list[this.#turn % list.length];
  }

  /** Resolves with a link as soon as `agent` has one, or with undefined after `ms`. */
  async waitFor(agent: string, ms: number): Promise<AgentLink | undefined> {
    const now = this.pick(agent);
    if (now !== undefined || ms <= 0) return now;
    const waiters = this.#waiters.get(agent) ?? new Set();
    this.#waiters.set(agent, waiters);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0) this.#waiters.delete(agent);
        resolve(this.pick(agent));
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });
  }

  heartbeat(link: AgentLink): void {
    link.lastHeartbeatAt = this.#clock.now();
  }

  /** Drops every link of `agent` (its token was revoked). */
  drop(agent: string, reason: string): number {
    const list = this.#links.get(agent) ?? [];
    for (const l of list) l.close(4003, reason);
    return list.length;
  }

  list(): AgentLink[] {
    return [...this.#links.values()].flat();
  }

  closeAll(reason: string): void {
    for (const l of this.list()) l.close(1001, reason);
  }
}
