import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPgUrl } from '../../src/store/testing.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { adminToken, agentConnection, listAgents, startAgent, waitForLinks, warden, type AgentProcess } from './support.ts';

// Two (then three) gateways in this process on one PostgreSQL store schema; one `warden agent`
// child process told about the first only. It must learn the others from the replica list.
describe('agent links to every gateway replica (shared PostgreSQL store)', () => {
  const schema = `warden_test_${randomBytes(6).toString('hex')}`;
  const config = { store: { url: testPgUrl, schema }, agents: { waitMs: 3000, heartbeatMs: 30_000, replicaHeartbeatMs: 200 } };
  // heartbeatMs is long on purpose: the per-link revocation check it drives cannot explain a drop
  // seen within this suite, so the cross-replica event must.
  const gateways: TestGateway[] = [];
  let a: TestGateway;
  let b: TestGateway;
  let admin: string;
  let userToken: string;
  let agent: AgentProcess;

  const query = async (t: TestGateway, sql: string) => {
    const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'alice', password: userToken, database: 'via-edge' });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    a = await startTestGateway({ config: { ...config, replica: 'gw-a' } });
    gateways.push(a);
    b = await startTestGateway({ config: { ...config, replica: 'gw-b' } });
    gateways.push(b);
    admin = await adminToken(a);
    userToken = await a.user('alice');
    const res = await fetch(`${a.apiUrl}/api/v1/agents`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'edge' }) });
    expect(res.status).toBe(201);
    const { token } = (await res.json()) as { token: string };
    await agentConnection(a, 'via-edge', 'edge');
    agent = startAgent(a.apiUrl, token, ['127.0.0.1:5432']);
  }, 60_000);

  afterAll(async () => {
    await agent?.kill();
    for (const t of gateways.reverse()) await t.stop().catch(() => undefined);
    const c = new pg.Client({ connectionString: testPgUrl });
    await c.connect();
    await c.query(`drop schema if exists "${schema}" cascade`);
    await c.end();
  });

  it('the agent dialed only replica A, yet has a link on both, and a client on either reaches the target', async () => {
    await waitForLinks(a, admin, 'edge', 1);
    await waitForLinks(b, admin, 'edge', 1);
    // Each replica sees the same store: the same user, connection and agent.
    expect(await query(b, "select 'via B' as hello")).toEqual([{ hello: 'via B' }]);
    expect(await query(a, "select 'via A' as hello")).toEqual([{ hello: 'via A' }]);
    // Any replica can say where the agent is linked: both, from the shared store.
    // (Links are recorded in the store just after they come up: poll, bounded.)
    let names: string[] = [];
    for (let i = 0; i < 200 && names.length < 2; i++) {
      names = ((await listAgents(a, admin)).find((x) => x.name === 'edge')?.replicas ?? []).map((r) => r.name).sort();
      if (names.length < 2) await new Promise((r) => setTimeout(r, 25));
    }
    expect(names).toEqual(['gw-a', 'gw-b']);
    const listed = await warden(['agents', 'list', '--url', b.apiUrl, '--token', admin]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`gw-a@${a.apiUrl}`);
    expect(listed.stdout).toContain(`gw-b@${b.apiUrl}`);
  });

  it('a replica that starts later gets a link; one that stops cleanly loses it, the others keep theirs', async () => {
    const c = await startTestGateway({ config: { ...config, replica: 'gw-c' } });
    gateways.push(c);
    await waitForLinks(c, admin, 'edge', 1);
    expect(await query(c, 'select 3 as n')).toEqual([{ n: 3 }]);
    await c.stop();
    gateways.pop();
    for (let i = 0; i < 200 && !agent.log().includes('no longer a live replica'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(agent.log()).toContain('no longer a live replica');
    // Still exactly one link on each remaining replica, and both still serve sessions.
    await waitForLinks(a, admin, 'edge', 1);
    await waitForLinks(b, admin, 'edge', 1);
    expect(await query(b, 'select 2 as n')).toEqual([{ n: 2 }]);
  }, 30_000);

  it('a token revoked through replica B ends its live session on replica A (event over LISTEN/NOTIFY)', async () => {
    const token = await a.user('carol');
    const c = new pg.Client({ host: '127.0.0.1', port: a.pgPort, user: 'carol', password: token, database: 'via-edge' });
    c.on('error', () => undefined);
    await c.connect();
    const ended = new Promise<void>((r) => c.once('end', () => r()));
    expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    const tokenId = /^wdn_(tok_[0-9a-z]+)_/.exec(token)![1]!;
    const res = await fetch(`${b.apiUrl}/api/v1/tokens/${tokenId}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(204);
    // Nothing polls live sessions for revoked tokens: only the event ends this one.
    await ended;
    const again = new pg.Client({ host: '127.0.0.1', port: a.pgPort, user: 'carol', password: token, database: 'via-edge' });
    again.on('error', () => undefined);
    await expect(again.connect()).rejects.toThrow(/revoked|invalid|denied/i);
  });

  it('an agent revoked through replica B loses its link on replica A at once', async () => {
    const res = await fetch(`${b.apiUrl}/api/v1/agents/edge`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(204);
    await waitForLinks(a, admin, 'edge', 0);
    await waitForLinks(b, admin, 'edge', 0);
  });
});
