import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { adminToken, agentConnection, startAgent, waitForLinks, type AgentProcess } from './support.ts';

// A CancelRequest for a session that rides an agent must take the same route: the target may
// accept connections from the agent's network only. The agent logs (debug) every stream the
// gateway asks it for, so the cancel's own stream is visible there.
describe('cancel through the agent', () => {
  let t: TestGateway;
  let admin: string;
  let userToken: string;
  let agent: AgentProcess;
  const streamsAsked = () => agent.log().split('\n').filter((l) => l.includes('the gateway asks for a stream')).length;

  beforeAll(async () => {
    t = await startTestGateway({ config: { agents: { waitMs: 3000, heartbeatMs: 1000 } } });
    admin = await adminToken(t);
    userToken = await t.user('alice');
    const res = await fetch(`${t.apiUrl}/api/v1/agents`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'edge' }) });
    const { token } = (await res.json()) as { token: string };
    await agentConnection(t, 'via-edge', 'edge');
    agent = startAgent(t.apiUrl, token, ['127.0.0.1:5432'], ['--log-level', 'debug']);
    await waitForLinks(t, admin, 'edge', 1);
  }, 60_000);

  afterAll(async () => {
    await agent?.kill();
    await t?.stop();
  });

  it('pg_sleep is cancelled by the pg driver through gateway → agent → target', async () => {
    const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'alice', password: userToken, database: 'via-edge' });
    c.on('error', () => undefined);
    await c.connect();
    try {
      expect(streamsAsked()).toBe(1);
      const query = new pg.Query('select pg_sleep(30)');
      const sleeping = new Promise<{ code?: string; message?: string } | undefined>((resolve) => {
        query.on('error', (e: unknown) => resolve(e as { code?: string; message?: string }));
        query.on('end', () => resolve(undefined));
      });
      c.query(query);
      // Wait until the target runs it, seen from the target itself.
      const probe = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
      await probe.connect();
      try {
        for (let i = 0; i < 200; i++) {
          const { rows } = await probe.query("select count(*)::int as n from pg_stat_activity where query = 'select pg_sleep(30)' and state = 'active'");
          if (rows[0].n > 0) break;
          await new Promise((r) => setTimeout(r, 25));
        }
      } finally {
        await probe.end();
      }
      // The driver's own cancel: a new connection to the gateway carrying the key the gateway minted.
      const canceller = new pg.Client({ host: '127.0.0.1', port: t.pgPort });
      (canceller as unknown as { cancel(c: pg.Client, q: pg.Query): void }).cancel(c, query);
      const err = await sleeping;
      expect(err?.code).toBe('57014');
      expect(err?.message).toMatch(/canceling statement due to user request/);
      // The cancel opened its own stream on the agent: 1 for the session, 1 for the cancel.
      expect(streamsAsked()).toBe(2);
      // The session survives the cancel.
      expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await c.end();
    }
  }, 30_000);
});
