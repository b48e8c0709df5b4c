import type { NewAuditEvent } from './types.ts';

/**
 * Refusals are the audit events an attacker controls: anyone can present a thousand bad
 * tokens a second, and each must not become a row. Per kind of refusal — type, claimed
 * actor and reason — at most `perWindow` are stored in each window; the rest are counted,
 * and the next stored one of that kind carries how many were left out (`detail.suppressed`),
 * so the log still says how many happened. Successes are never throttled: they follow a
 * valid credential, and every one of them matters.
 */
export class RefusalThrottle {
  readonly #kinds = new Map<string, { start: number; stored: number; suppressed: number }>();
  readonly #windowMs: number;
  readonly #perWindow: number;
  readonly #maxKinds: number;
  #sweptAt = -Infinity;

  constructor(opts: { windowMs?: number; perWindow?: number; maxKinds?: number } = {}) {
    this.#windowMs = opts.windowMs ?? 60_000;
    this.#perWindow = opts.perWindow ?? 20;
    this.#maxKinds = opts.maxKinds ?? 10_000;
  }

  /** The event to store (possibly with `suppressed` added), or undefined to leave it out. */
  admit(e: NewAuditEvent, now: number): NewAuditEvent | undefined {
    if (e.outcome !== 'failure') return e;
    const key = this.#kindOf(e, now);
    let k = this.#kinds.get(key);
    if (k === undefined || now - k.start >= this.#windowMs) {
      const suppressed = k?.suppressed ?? 0;
      k = { start: now, stored: 0, suppressed };
      this.#kinds.set(key, k);
    }
    if (k.stored >= this.#perWindow) {
      k.suppressed++;
      return undefined;
    }
    k.stored++;
    if (k.suppressed === 0) return e;
    const out = { ...e, detail: { ...e.detail, suppressed: k.suppressed } };
    k.suppressed = 0;
    return out;
  }

  /**
   * A kind's key; past `maxKinds` live kinds (varied claimed names), all new ones share one.
   * Expired kinds are swept at most once a window, not at every event of a flood: a full map
   * would otherwise be walked whole for each refusal.
   */
  #kindOf(e: NewAuditEvent, now: number): string {
    const key = JSON.stringify([e.type, e.actor, e.detail?.['reason'] ?? null]);
    if (this.#kinds.has(key) || this.#kinds.size < this.#maxKinds) return key;
    if (now - this.#sweptAt >= this.#windowMs) {
      this.#sweptAt = now;
      for (const [k, v] of this.#kinds) if (now - v.start >= this.#windowMs && v.suppressed === 0) this.#kinds.delete(k);
    }
    return this.#kinds.size < this.#maxKinds ? key : JSON.stringify([e.type, '*']);
  }
}
