import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { parseEvent, Subscribers, type EventBus, type WardenEvent } from '../core/events.ts';

/**
 * Cross-replica events over PostgreSQL LISTEN/NOTIFY. Chosen over NATS (or
 * Redis) because replicas already share this database for their state: no new
 * service to run, secure and monitor, and a NOTIFY sent inside the store is
 * ordered with it. NOTIFY is fire-and-forget (a replica not listening at that
 * moment misses it), which suits events that are only hints: every consumer
 * also polls the store. One channel per store schema, so Wardens (and tests)
 * sharing a database never hear each other.
 */
/** `listening` resolves once this replica hears events (the wiring waits for it before serving). */
export function createPgEventBus(url: string, schema: string, log: Logger): EventBus & { listening: Promise<void> } {
  // PostgreSQL channel names are identifiers (at most 63 bytes): a long schema name is hashed.
  const plain = `warden_events_${schema}`;
  const channel = plain.length <= 63 ? plain : `warden_events_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
  const subs = new Subscribers(log);
  // Publishing goes through a small pool: a LISTEN session that is reconnecting must not block it.
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  let listener: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let attempt = 0;
  let ready!: () => void;
  const listening = new Promise<void>((r) => (ready = r));

  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    const lost = (err?: Error) => {
      if (listener !== client) return;
      listener = undefined;
      client.end().catch(() => undefined);
      if (closed) return;
      const delay = Math.min(10_000, 250 * 2 ** attempt++);
      log.warn({ err: err?.message, retryInMs: delay }, 'event bus: LISTEN connection lost; polling covers the gap');
      retry = setTimeout(() => void listen(), delay);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n) => {
      if (n.channel !== channel || n.payload === undefined) return;
      const event = parseEvent(n.payload);
      // fail closed: a payload that is not an event is dropped, never half-applied.
      if (event === undefined) return void log.warn({ payload: n.payload.slice(0, 200) }, 'event bus: ignored a malformed event');
      subs.deliver(event);
    });
    listener = client;
    try {
      await client.connect();
      await client.query(`listen ${pg.escapeIdentifier(channel)}`);
      attempt = 0;
      ready();
    } catch (err) {
      lost(err as Error);
    }
  };
  void listen();

  return {
    listening,
    async publish(event: WardenEvent) {
      try {
        await pool.query('select pg_notify($1, $2)', [channel, JSON.stringify(event)]);
      } catch (err) {
        log.warn({ err, event: event.type }, 'event bus: publish failed; other replicas will catch up by polling');
      }
    },
    subscribe: (handler) => subs.add(handler),
    async close() {
      closed = true;
      clearTimeout(retry);
      subs.clear();
      const c = listener;
      listener = undefined;
      await Promise.all([c?.end().catch(() => undefined), pool.end().catch(() => undefined)]);
    },
  };
}
