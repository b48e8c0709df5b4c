import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../clock.ts';
import { createLocalEventBus, parseEvent, type EventBus, type WardenEvent } from '../events.ts';
import { createRemoteCancels } from './remote-cancel.ts';

/** A bus that keeps what is published, as the NOTIFY payloads another store user could read. */
function capturingBus(): EventBus & { sent: WardenEvent[] } {
  const sent: WardenEvent[] = [];
  return { sent, publish: async (e) => void sent.push(e), subscribe: () => () => undefined, close: async () => undefined };
}

describe('RemoteCancels', () => {
  it('sends a keyed digest, never the key, and replicas with the same master key agree on it', () => {
    const masterKey = randomBytes(32);
    const bus = capturingBus();
    const here = createRemoteCancels({ events: bus, masterKey, clock: manualClock() });
    const there = createRemoteCancels({ events: createLocalEventBus(pino({ level: 'silent' })), masterKey, clock: manualClock() });
    const other = createRemoteCancels({ events: bus, masterKey: randomBytes(32), clock: manualClock() });
    const key = 'postgres:123456:-98765';
    here.request(here.digest(key));
    const payload = JSON.stringify(bus.sent[0]);
    expect(payload).not.toContain('123456');
    expect(payload).not.toContain('98765');
    expect(parseEvent(payload)).toEqual({ type: 'cancel.requested', digest: there.digest(key) });
    // Not a plain hash: without the master key the digest cannot be recomputed from a guessed key.
    expect(other.digest(key)).not.toBe(here.digest(key));
  });

  it('delivers a request to listeners over the bus', async () => {
    const r = createRemoteCancels({ events: createLocalEventBus(pino({ level: 'silent' })), masterKey: randomBytes(32), clock: manualClock() });
    const heard = new Promise<string>((resolve) => r.listen(resolve));
    r.request(r.digest('postgres:1:2'));
    expect(await heard).toBe(r.digest('postgres:1:2'));
  });

  it('passes at most 50 cancels a second on (anyone may send CancelRequests)', () => {
    const clock = manualClock();
    const bus = capturingBus();
    const r = createRemoteCancels({ events: bus, masterKey: randomBytes(32), clock });
    for (let i = 0; i < 80; i++) r.request(r.digest(`postgres:${i}:0`));
    expect(bus.sent).toHaveLength(50);
    clock.advance(1000);
    r.request(r.digest('postgres:x:0'));
    expect(bus.sent).toHaveLength(51);
  });

  it('parseEvent refuses a cancel event without a well-formed digest', () => {
    expect(parseEvent(JSON.stringify({ type: 'cancel.requested', digest: '123:456' }))).toBeUndefined();
    expect(parseEvent(JSON.stringify({ type: 'cancel.requested' }))).toBeUndefined();
  });
});
