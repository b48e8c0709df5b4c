import type { Logger } from 'pino';

/**
 * Events every gateway replica must hear about at once. Each is a hint to
 * re-read state that lives in the store (a review's decision, a token's
 * revocation, the policy, an agent), never the state itself, so a missed event
 * only delays a replica until its own polling catches up: handlers must be
 * idempotent and the store stays the source of truth.
 */
export type WardenEvent =
  | { type: 'review.decided'; reviewId: string }
  | { type: 'token.revoked'; tokenId: string }
  | { type: 'policy.changed' }
  | { type: 'agent.revoked'; agent: string }
  | { type: 'replicas.changed' }
  /** A cancel for a session on some replica: the keyed digest of its cancel key (core/session/remote-cancel.ts), never the key. */
  | { type: 'cancel.requested'; digest: string }
  /** A kill of a session by the number its client knows, asked by `userId` (core/session/remote-kill.ts); no secret in it. */
  | { type: 'session.kill.requested'; requestId: string; protocol: string; connectionId: number; userId: string; scope: KillScope }
  /** The owner replica's answer to `requestId`: whether the kill worked. Only the owner answers, and only its user's requests. */
  | { type: 'session.kill.done'; requestId: string; ok: boolean };

/** What a kill ends: the running statement, or the whole session. */
export type KillScope = 'query' | 'connection';

/**
 * The port: publish reaches every subscriber on every replica, the publisher's
 * own included. Implementations: in-process (SQLite, one gateway) and
 * PostgreSQL LISTEN/NOTIFY (`src/store/events-pg.ts`).
 */
export interface EventBus {
  /** Best effort: never throws (a failure is logged; polling is the fallback). */
  publish(event: WardenEvent): Promise<void>;
  /** Calls `handler` for every event until the returned function is called. */
  subscribe(handler: (event: WardenEvent) => void): () => void;
  close(): Promise<void>;
}

/** Fan-out to local handlers; a throwing handler is logged and never stops the others. */
export class Subscribers {
  readonly #handlers = new Set<(event: WardenEvent) => void>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  add(handler: (event: WardenEvent) => void): () => void {
    this.#handlers.add(handler);
    return () => void this.#handlers.delete(handler);
  }

  deliver(event: WardenEvent): void {
    for (const h of [...this.#handlers]) {
      try {
        h(event);
      } catch (err) {
        this.#log.error({ err, event: event.type }, 'event handler failed');
      }
    }
  }

  clear(): void {
    this.#handlers.clear();
  }
}

/** One gateway (SQLite store): events stay in this process. */
export function createLocalEventBus(log: Logger): EventBus {
  const subs = new Subscribers(log);
  return {
    async publish(event) {
      // Delivered on a later tick, as a network bus would: a publisher never re-enters its own handlers.
      setImmediate(() => subs.deliver(event));
    },
    subscribe: (handler) => subs.add(handler),
    async close() {
      subs.clear();
    },
  };
}

const eventTypes = new Set(['review.decided', 'token.revoked', 'policy.changed', 'agent.revoked', 'replicas.changed', 'cancel.requested', 'session.kill.requested', 'session.kill.done']);

/** Reads an event off the wire; undefined for anything that is not one (ignored, never guessed at). */
export function parseEvent(text: string): WardenEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const e = v as Record<string, unknown> | null;
  if (e === null || typeof e !== 'object' || typeof e['type'] !== 'string' || !eventTypes.has(e['type'])) return undefined;
  const str = (k: string) => typeof e[k] === 'string' && e[k] !== '';
  switch (e['type']) {
    case 'review.decided':
      return str('reviewId') ? { type: 'review.decided', reviewId: e['reviewId'] as string } : undefined;
    case 'token.revoked':
      return str('tokenId') ? { type: 'token.revoked', tokenId: e['tokenId'] as string } : undefined;
    case 'agent.revoked':
      return str('agent') ? { type: 'agent.revoked', agent: e['agent'] as string } : undefined;
    case 'policy.changed':
      return { type: 'policy.changed' };
    case 'cancel.requested':
      return typeof e['digest'] === 'string' && /^[0-9a-f]{64}$/.test(e['digest']) ? { type: 'cancel.requested', digest: e['digest'] } : undefined;
    case 'session.kill.requested':
      return parseKillRequested(e);
    case 'session.kill.done':
      return str('requestId') && typeof e['ok'] === 'boolean' ? { type: 'session.kill.done', requestId: e['requestId'] as string, ok: e['ok'] } : undefined;
    default:
      return { type: 'replicas.changed' };
  }
}

/** fail closed: a request with any field missing or out of shape is dropped, so no replica kills on a guess. */
function parseKillRequested(e: Record<string, unknown>): WardenEvent | undefined {
  const { requestId, protocol, connectionId, userId, scope } = e;
  if (typeof requestId !== 'string' || requestId === '' || typeof protocol !== 'string' || protocol === '' || typeof userId !== 'string' || userId === '') return undefined;
  if (typeof connectionId !== 'number' || !Number.isSafeInteger(connectionId) || connectionId < 0) return undefined;
  if (scope !== 'query' && scope !== 'connection') return undefined;
  return { type: 'session.kill.requested', requestId, protocol, connectionId, userId, scope };
}
