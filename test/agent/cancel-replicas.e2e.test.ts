import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { sharedReplicaSetup, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

// Two gateway replicas on one PostgreSQL store. A client's cancel is a new connection, which a load
// balancer may send to any replica: here the session runs on A and its CancelRequest goes to B.
// B does not know the key; it passes a keyed digest over LISTEN/NOTIFY and A cancels.
describe('a CancelRequest sent to another replica reaches the session', () => {
  // Replicas share the vault master key (as deployed: one WARDEN_MASTER_KEY); the cancel digest's key derives from it.
  const shared = sharedReplicaSetup();
  const config = shared.config;
  let a: TestGateway;
  let b: TestGateway;
  let userToken: string;

  beforeAll(async () => {
    a = await startTestGateway({ config: { ...config, replica: 'gw-a' } });
    b = await startTestGateway({ config: { ...config, replica: 'gw-b' } });
    userToken = await a.user('alice');
    await a.gw.core.connections.create({ id: newId('con'), name: 'direct', type: 'postgres', host: '127.0.0.1', port: 5432, database: 'test', username: 'postgres', sealedSecret: null, tls: 'disable', tags: [], agent: null, createdAt: new Date() });
  }, 60_000);

  afterAll(async () => {
    await b?.stop().catch(() => undefined);
    await a?.stop().catch(() => undefined);
    await shared.remove();
  });

  /** Runs pg_sleep(30) on replica A and sends the driver's cancel to `cancelAt`; resolves with the query's error. */
  const sleepAndCancel = async (cancelAt: TestGateway, key?: { processID: number; secretKey: number }) => {
    const c = new pg.Client({ host: '127.0.0.1', port: a.pgPort, user: 'alice', password: userToken, database: 'direct' });
    c.on('error', () => undefined);
    await c.connect();
    const marker = `cancel-${randomBytes(4).toString('hex')}`;
    const query = new pg.Query(`select pg_sleep(30) /* ${marker} */`);
    const sleeping = new Promise<{ code?: string } | undefined>((resolve) => {
      query.on('error', (e: unknown) => resolve(e as { code?: string }));
      query.on('end', () => resolve(undefined));
    });
    c.query(query);
    // Wait until the target runs it, seen from the target itself.
    const probe = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await probe.connect();
    const running = async () => (await probe.query("select count(*)::int as n from pg_stat_activity where query like $1 and state = 'active' and pid <> pg_backend_pid()", [`%${marker}%`])).rows[0].n as number;
    for (let i = 0; i < 400 && (await running()) === 0; i++) await new Promise((r) => setTimeout(r, 25));
    const canceller = new pg.Client({ host: '127.0.0.1', port: cancelAt.pgPort });
    // pg's own cancel: a new connection carrying the key the gateway minted (or a wrong one).
    const target = key === undefined ? c : Object.assign(Object.create(c) as pg.Client, key);
    (canceller as unknown as { cancel(c: pg.Client, q: pg.Query): void }).cancel(target, query);
    return { c, query, sleeping, probe, running };
  };

  it('pg_sleep on A is cancelled by a CancelRequest sent to B (57014)', async () => {
    const { c, sleeping, probe } = await sleepAndCancel(b);
    try {
      const err = await sleeping;
      expect(err?.code).toBe('57014');
      // The session survives the cancel.
      expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await probe.end();
      await c.end();
    }
  }, 60_000);

  it('a wrong key sent to B cancels nothing', async () => {
    const { c, query, sleeping, probe, running } = await sleepAndCancel(b, { processID: 12345, secretKey: 678 });
    try {
      // Give a misrouted cancel ample time to arrive; the query must still be running.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await running()).toBe(1);
      // The right key, through B, still ends it.
      (new pg.Client({ host: '127.0.0.1', port: b.pgPort }) as unknown as { cancel(c: pg.Client, q: pg.Query): void }).cancel(c, query);
      expect((await sleeping)?.code).toBe('57014');
    } finally {
      await probe.end();
      await c.end();
    }
  }, 60_000);
});
