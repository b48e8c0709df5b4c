import type { Logger } from 'pino';
import { createLocalEventBus, type EventBus } from '../core/events.ts';
import type { StoreKind } from './schema.ts';

/**
 * The event bus that matches the store: replicas sharing a PostgreSQL store
 * hear each other over LISTEN/NOTIFY; a SQLite store means one gateway, so
 * events stay in-process. Waits (bounded) until LISTEN is in place, so a
 * replica that starts serving already hears its peers; if it is not, polling
 * covers the gap and the bus keeps retrying.
 */
export async function openEventBus(o: { kind: StoreKind; url: string; schema: string; log: Logger }): Promise<EventBus> {
  if (o.kind === 'sqlite') return createLocalEventBus(o.log);
  const { createPgEventBus } = await import('./events-pg.ts');
  const bus = createPgEventBus(o.url, o.schema, o.log);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([bus.listening, new Promise<void>((r) => (timer = setTimeout(r, 5_000)))]);
  clearTimeout(timer);
  return bus;
}
