import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createLocalEventBus, parseEvent, type EventBus } from '../events.ts';
import { createRemoteKills, type KillOrder } from './remote-kill.ts';

const bus = (): EventBus => createLocalEventBus(pino({ level: 'silent' }));
const order: KillOrder = { protocol: 'mysql', connectionId: 3_000_000_001, userId: 'usr_alice', scope: 'query' };

describe('RemoteKills', () => {
  it('the owner replica kills its user’s session and the asking replica hears it', async () => {
    const events = bus();
    const asking = createRemoteKills({ events });
    const owner = createRemoteKills({ events });
    const seen: KillOrder[] = [];
    owner.serve('mysql', (o) => {
      seen.push(o);
      return o.connectionId === order.connectionId && o.userId === 'usr_alice' ? Promise.resolve(true) : undefined;
    });
    expect(await asking.request(order, 2000)).toBe(true);
    expect(seen).toEqual([order]);
  });

  it('reports a kill the owner tried and failed as false (a throwing kill too)', async () => {
    const events = bus();
    const r = createRemoteKills({ events });
    r.serve('mysql', () => Promise.reject(new Error('target down')));
    expect(await r.request(order, 2000)).toBe(false);
  });

  it('fail closed: silence (no owner, another user, another protocol) is undefined after the wait', async () => {
    const events = bus();
    const r = createRemoteKills({ events });
    let asked = 0;
    r.serve('mysql', () => void asked++ as undefined);
    r.serve('postgres', () => Promise.resolve(true));
    expect(await r.request(order, 100)).toBeUndefined();
    expect(asked).toBe(1);
  });

  it('carries only the id, the user id, the scope and a request id on the wire', async () => {
    const sent: string[] = [];
    const events: EventBus = { publish: async (e) => void sent.push(JSON.stringify(e)), subscribe: () => () => undefined, close: async () => undefined };
    expect(await createRemoteKills({ events }).request(order, 10)).toBeUndefined();
    const e = JSON.parse(sent[0]!) as Record<string, unknown>;
    expect(Object.keys(e).sort()).toEqual(['connectionId', 'protocol', 'requestId', 'scope', 'type', 'userId']);
    expect(parseEvent(sent[0]!)).toEqual({ type: 'session.kill.requested', requestId: e['requestId'], ...order });
  });
});

describe('parseEvent for kills', () => {
  const good = { type: 'session.kill.requested', requestId: 'r1', protocol: 'mysql', connectionId: 7, userId: 'usr_a', scope: 'connection' };
  it('reads well-formed requests and answers', () => {
    expect(parseEvent(JSON.stringify(good))).toEqual(good);
    expect(parseEvent(JSON.stringify({ type: 'session.kill.done', requestId: 'r1', ok: false }))).toEqual({ type: 'session.kill.done', requestId: 'r1', ok: false });
  });
  it('drops anything out of shape rather than guess', () => {
    for (const bad of [
      { ...good, connectionId: '7' },
      { ...good, connectionId: 1.5 },
      { ...good, connectionId: -1 },
      { ...good, scope: 'user' },
      { ...good, userId: '' },
      { ...good, requestId: undefined },
      { ...good, protocol: 3 },
    ])
      expect(parseEvent(JSON.stringify(bad))).toBeUndefined();
    expect(parseEvent(JSON.stringify({ type: 'session.kill.done', requestId: 'r1', ok: 'yes' }))).toBeUndefined();
    expect(parseEvent(JSON.stringify({ type: 'session.kill.done', ok: true }))).toBeUndefined();
  });
});
