import type { SessionRepo } from './types.ts';

/**
 * The session repo of one gateway replica: every session it starts is stored
 * with the replica's id, so that when this process dies without ending its
 * sessions (kill -9, lost host) a surviving replica can tell which open
 * sessions were cut off and end them (src/tunnel/replicas.ts).
 */
export function onReplica(repo: SessionRepo, replicaId: string): SessionRepo {
  return {
    start: (s) => repo.start({ ...s, replicaId }),
    end: (id, end) => repo.end(id, end),
    get: (id) => repo.get(id),
    list: (filter) => repo.list(filter),
  };
}
