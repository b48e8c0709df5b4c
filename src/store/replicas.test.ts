import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../core/clock.ts';
import { openStore, type Store } from './index.ts';
import { storeBackends } from './testing.ts';

describe.each(storeBackends)('replicas on $name', (backend) => {
  let store: Store | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await store?.close();
    await cleanup?.();
  });

  it('lists replicas by heartbeat, forgets one that says goodbye, and shows agent links only on live replicas', async () => {
    const s = await backend.setup();
    cleanup = s.cleanup;
    store = await openStore(s.opts);
    const clock = manualClock(new Date('2026-05-01T09:00:00Z'));
    const t0 = clock.now();
    await store.replicas.upsert({ id: 'rep_a', name: 'gw-a', apiUrl: 'http://a:1', startedAt: t0, heartbeatAt: t0 });
    await store.replicas.upsert({ id: 'rep_b', name: 'gw-b', apiUrl: 'http://b:1', startedAt: t0, heartbeatAt: t0 });
    await store.replicas.addLink({ id: 'lnk_1', replicaId: 'rep_a', agentId: 'agt_1', remoteAddress: '10.0.0.9', connectedAt: t0 });
    await store.replicas.addLink({ id: 'lnk_2', replicaId: 'rep_b', agentId: 'agt_1', remoteAddress: '10.0.0.9', connectedAt: t0 });
    expect((await store.replicas.live(t0)).map((r) => r.id)).toEqual(['rep_a', 'rep_b']);

    // B stops beating (kill -9): past the TTL it is no longer live, nor are its links.
    clock.advance(10_000);
    await store.replicas.heartbeat('rep_a', clock.now());
    const since = new Date(clock.now().getTime() - 5_000);
    expect((await store.replicas.live(since)).map((r) => r.id)).toEqual(['rep_a']);
    expect((await store.replicas.liveLinks(since)).map((l) => [l.id, l.replicaName, l.replicaUrl])).toEqual([['lnk_1', 'gw-a', 'http://a:1']]);

    // An upsert brings a row back (a replica cut off from the store that returns); remove says goodbye with its links.
    await store.replicas.upsert({ id: 'rep_b', name: 'gw-b', apiUrl: 'http://b:2', startedAt: t0, heartbeatAt: clock.now() });
    expect((await store.replicas.live(since)).find((r) => r.id === 'rep_b')?.apiUrl).toBe('http://b:2');
    await store.replicas.remove('rep_a');
    expect((await store.replicas.live(since)).map((r) => r.id)).toEqual(['rep_b']);
    await store.replicas.removeLink('lnk_2');
    expect(await store.replicas.liveLinks(since)).toEqual([]);
  });

  it('ends the sessions a lapsed replica left open, once, and no other session', async () => {
    const s = await backend.setup();
    cleanup = s.cleanup;
    store = await openStore(s.opts);
    const clock = manualClock(new Date('2026-05-01T09:00:00Z'));
    const t0 = clock.now();
    await store.replicas.upsert({ id: 'rep_a', name: 'gw-a', apiUrl: 'http://a:1', startedAt: t0, heartbeatAt: t0 });
    await store.replicas.upsert({ id: 'rep_b', name: 'gw-b', apiUrl: 'http://b:1', startedAt: t0, heartbeatAt: t0 });
    const start = (id: string, replicaId?: string) =>
      store!.sessions.start({ id, userId: 'usr_1', userName: 'alice', connectionName: 'db', protocol: 'postgres', clientAddress: '127.0.0.1', startedAt: t0, ...(replicaId ? { replicaId } : {}) });
    await start('ses_a1', 'rep_a');
    await start('ses_b1', 'rep_b');
    await start('ses_b2', 'rep_b');
    await start('ses_old'); // stored before sessions had a replica: never claimed
    await start('ses_ghost', 'rep_never_registered'); // a replica without a row (no API listener) is never judged
    await store.sessions.end('ses_b2', { endedAt: t0, bytesFromClient: 5, bytesToClient: 7, statements: 1, endReason: 'client_closed' });
    expect((await store.sessions.get('ses_b1'))!.replicaId).toBe('rep_b');

    // B is killed; A keeps beating. Within the TTL nothing is ended.
    clock.advance(1_000);
    await store.replicas.heartbeat('rep_a', clock.now());
    expect(await store.replicas.endLostSessions(new Date(clock.now().getTime() - 5_000), clock.now())).toEqual([]);
    clock.advance(10_000);
    await store.replicas.heartbeat('rep_a', clock.now());
    const lost = await store.replicas.endLostSessions(new Date(clock.now().getTime() - 5_000), clock.now());
    expect(lost).toEqual([{ replicaId: 'rep_b', replicaName: 'gw-b', lastHeartbeat: t0, sessions: ['ses_b1'] }]);
    const b1 = (await store.sessions.get('ses_b1'))!;
    expect(b1.endedAt).toEqual(clock.now());
    expect(b1.endReason).toBe('replica_lost: gateway replica "gw-b" stopped (no heartbeat since 2026-05-01T09:00:00.000Z)');
    // The session that ended by itself keeps its own end; the others stay open.
    expect((await store.sessions.get('ses_b2'))!).toMatchObject({ endReason: 'client_closed', statements: 1 });
    for (const id of ['ses_a1', 'ses_old', 'ses_ghost']) expect((await store.sessions.get(id))!.endedAt, id).toBeNull();
    // A second sweep (another survivor) finds nothing; a late end from the dead replica does not overwrite.
    expect(await store.replicas.endLostSessions(new Date(clock.now().getTime() - 5_000), clock.now())).toEqual([]);
    await store.sessions.end('ses_b1', { endedAt: clock.now(), bytesFromClient: 1, bytesToClient: 1, statements: 9, endReason: 'client_closed' });
    expect((await store.sessions.get('ses_b1'))!.endReason).toMatch(/^replica_lost: /);
  });
});
