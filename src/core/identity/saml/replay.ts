import type { SamlStateRepo } from './state.ts';

/**
 * SAML state in memory, for one process without a store (unit tests, a
 * single embedded SP). The gateway uses the store's implementation instead,
 * so replays and answers to requests another replica sent are caught there.
 */
export function memorySamlState(): SamlStateRepo {
  const requests = new Map<string, { createdAt: Date; until: number }>();
  const used = new Map<string, number>();
  const prune = (now: Date) => {
    const t = now.getTime();
    for (const [id, r] of requests) if (r.until <= t) requests.delete(id);
    for (const [id, until] of used) if (until <= t) used.delete(id);
  };
  return {
    async saveRequest(id, createdAt, expiresAt) {
      requests.set(id, { createdAt, until: expiresAt.getTime() });
    },
    async findRequest(id, now) {
      prune(now);
      return requests.get(id)?.createdAt;
    },
    async removeRequest(id) {
      requests.delete(id);
    },
    async assertionUsed(id, now) {
      prune(now);
      return used.has(id);
    },
    async useAssertion(id, now, expiresAt) {
      prune(now);
      if (used.has(id)) return false;
      used.set(id, expiresAt.getTime());
      return true;
    },
  };
}
