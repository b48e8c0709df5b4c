import type { Clock } from '../../clock.ts';

/**
 * Assertion IDs already used to sign in, each kept until the assertion
 * expires (after that the time checks refuse it anyway). In memory: a replay
 * to another gateway replica, or after a restart, is not caught here — the
 * InResponseTo check (also in memory) is the other line of defence.
 */
export class AssertionReplayCache {
  readonly #clock: Clock;
  readonly #used = new Map<string, number>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** True when `id` was already used and has not expired yet. */
  seen(id: string): boolean {
    this.#prune();
    return this.#used.has(id);
  }

  /** Marks `id` used until `expiresAt`; false when it was already used (a replay). */
  remember(id: string, expiresAt: Date): boolean {
    this.#prune();
    if (this.#used.has(id)) return false;
    this.#used.set(id, expiresAt.getTime());
    return true;
  }

  #prune(): void {
    const now = this.#clock.now().getTime();
    for (const [id, until] of this.#used) if (until <= now) this.#used.delete(id);
  }
}
