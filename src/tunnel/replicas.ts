import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { ReplicaRef } from './frames.ts';
import { newId } from '../core/ids.ts';
import type { ReplicaRepo } from './types.ts';

export interface ReplicaDirectoryDeps {
  repo: ReplicaRepo;
  clock: Clock;
  log: Logger;
  /** This process: a fresh id per start (a restarted replica is a new one) and its name. */
  self: { id: string; name: string };
  /** How often this replica refreshes its row and re-reads the others. */
  heartbeatMs: number;
  /** A replica silent this long is dead (kill -9, lost host): agents drop their link to it. */
  ttlMs: number;
}

/**
 * This gateway's view of its replicas, kept in the shared store: it registers
 * itself, beats, and re-reads the live list, telling every listener (one per
 * agent link) when the list changed. On SQLite the list is just this replica.
 * A store that cannot be read keeps the last list: a replica that stops
 * beating drops out for the others, and agents keep links they already have.
 */
export class ReplicaDirectory {
  readonly #d: ReplicaDirectoryDeps;
  /** Where agents reach this replica; known once the API listens (`start`). */
  #self: { id: string; name: string; apiUrl: string };
  readonly #listeners = new Set<(list: ReplicaRef[]) => void>();
  #list: ReplicaRef[];
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(d: ReplicaDirectoryDeps) {
    this.#d = d;
    this.#self = { ...d.self, apiUrl: '' };
    this.#list = [];
  }

  get selfId(): string {
    return this.#d.self.id;
  }

  /** Every live replica, this one included. */
  current(): ReplicaRef[] {
    return this.#list;
  }

  /** Registers this replica at `apiUrl` and starts beating; the first list is read before it resolves. */
  async start(apiUrl: string): Promise<void> {
    this.#self = { ...this.#d.self, apiUrl };
    this.#list = [{ id: this.#self.id, url: apiUrl }];
    const now = this.#d.clock.now();
    await this.#d.repo.upsert({ ...this.#self, startedAt: now, heartbeatAt: now });
    await this.refresh();
    await this.#endLost();
    this.#timer = setInterval(() => void this.#beat(), this.#d.heartbeatMs);
    this.#timer.unref();
  }

  /** Calls `fn` with each new list until the returned function is called. */
  onChange(fn: (list: ReplicaRef[]) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Re-reads the live replicas now (a peer announced itself); never throws. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#read().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /** Records an agent link on this replica (for `warden agents list` on any replica); returns its id. Never throws. */
  linkUp(agentId: string, remoteAddress: string, at: Date): string {
    const id = newId('lnk');
    this.#d.repo.addLink({ id, replicaId: this.#d.self.id, agentId, remoteAddress, connectedAt: at }).catch((err: unknown) => this.#d.log.warn({ err }, 'could not record an agent link'));
    return id;
  }

  linkDown(id: string): void {
    this.#d.repo.removeLink(id).catch((err: unknown) => this.#d.log.warn({ err }, 'could not forget an agent link'));
  }

  /** Agent links on every live replica, per agent id: replica id, name, URL and link count. */
  async agentReplicas(): Promise<Map<string, { id: string; name: string; url: string; links: number }[]>> {
    const rows = await this.#d.repo.liveLinks(new Date(this.#d.clock.now().getTime() - this.#d.ttlMs));
    const out = new Map<string, { id: string; name: string; url: string; links: number }[]>();
    for (const r of rows) {
      const list = out.get(r.agentId) ?? [];
      const on = list.find((x) => x.id === r.replicaId);
      if (on) on.links++;
      else list.push({ id: r.replicaId, name: r.replicaName, url: r.replicaUrl, links: 1 });
      out.set(r.agentId, list);
    }
    return out;
  }

  /** Stops beating and removes this replica's row, so agents drop their links to it at once. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#listeners.clear();
    await this.#d.repo.remove(this.#d.self.id).catch((err: unknown) => this.#d.log.warn({ err }, 'could not deregister this replica'));
  }

  async #beat(): Promise<void> {
    try {
      // upsert, not update: a row removed while this replica was cut off from the store comes back.
      const now = this.#d.clock.now();
      await this.#d.repo.upsert({ ...this.#self, startedAt: now, heartbeatAt: now });
    } catch (err) {
      this.#d.log.warn({ err }, 'replica heartbeat: store unavailable');
    }
    await this.refresh();
    await this.#endLost();
  }

  /**
   * Ends the sessions a dead replica (silent past the TTL) left open in the
   * store; every live replica tries, the first one's update wins. A replica
   * only cut off from the store for longer than the TTL has its sessions
   * ended here too, though they may still run: the store cannot tell the two
   * apart, and their own later end does not overwrite this one. Never throws.
   */
  async #endLost(): Promise<void> {
    const now = this.#d.clock.now();
    try {
      for (const lost of await this.#d.repo.endLostSessions(new Date(now.getTime() - this.#d.ttlMs), now)) {
        this.#d.log.warn({ replica: lost.replicaName, replicaId: lost.replicaId, lastHeartbeat: lost.lastHeartbeat, sessions: lost.sessions }, 'ended sessions cut off by a lost replica');
      }
    } catch (err) {
      this.#d.log.warn({ err }, 'lost-replica sessions: store unavailable');
    }
  }

  async #read(): Promise<void> {
    let rows;
    try {
      rows = await this.#d.repo.live(new Date(this.#d.clock.now().getTime() - this.#d.ttlMs));
    } catch (err) {
      this.#d.log.warn({ err }, 'replica list: store unavailable; keeping the last list');
      return;
    }
    const list: ReplicaRef[] = rows.map((r) => ({ id: r.id, url: r.apiUrl }));
    // This replica is live by definition, even if its row is momentarily missing.
    if (!list.some((r) => r.id === this.#self.id)) list.push({ id: this.#self.id, url: this.#self.apiUrl });
    if (sameList(list, this.#list)) return;
    this.#list = list;
    this.#d.log.info({ replicas: list }, 'replica list changed');
    for (const fn of [...this.#listeners]) fn(list);
  }
}

function sameList(a: ReplicaRef[], b: ReplicaRef[]): boolean {
  return a.length === b.length && a.every((r, i) => r.id === b[i]!.id && r.url === b[i]!.url);
}
