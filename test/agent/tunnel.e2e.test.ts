import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway, endedSession } from '../helpers/gateway.ts';
import { adminToken, agentConnection, listAgents, startAgent, waitForLinks, warden, type AgentProcess } from './support.ts';

// gateway (in this process) → WebSocket link → `warden agent` (a child process) → the machine's PostgreSQL.
describe('agent tunnel (real processes)', () => {
  let t: TestGateway;
  let admin: string;
  let agentToken: string;
  let userToken: string;
  const agents: AgentProcess[] = [];
  const clients: pg.Client[] = [];

  const client = async (connection: string): Promise<pg.Client> => {
    const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'alice', password: userToken, database: connection });
    c.on('error', () => undefined);
    clients.push(c);
    await c.connect();
    return c;
  };
  const refusal = async (connection: string) => {
    const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'alice', password: userToken, database: connection });
    c.on('error', () => undefined);
    const err = (await c.connect().then(
      () => c.end().then(() => undefined),
      (e: unknown) => e,
    )) as { code?: string; message?: string } | undefined;
    expect(err, `connecting to ${connection} should fail`).toBeDefined();
    return err!;
  };

  beforeAll(async () => {
    t = await startTestGateway({ config: { agents: { waitMs: 300, heartbeatMs: 1000 } } });
    admin = await adminToken(t);
    userToken = await t.user('alice');
    // The CLI creates the agent through the API and prints its token once.
    const created = await warden(['agents', 'create', 'edge', '--url', t.apiUrl, '--token', admin, '--json']);
    expect(created.stderr).toBe('');
    agentToken = (JSON.parse(created.stdout) as { token: string }).token;
    expect(agentToken).toMatch(/^wda_agt_/);
    await agentConnection(t, 'via-edge', 'edge');
    await agentConnection(t, 'via-edge-unlisted', 'edge', 3306);
    agents.push(startAgent(t.apiUrl, agentToken, ['127.0.0.1:5432']));
    await waitForLinks(t, admin, 'edge', 1);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await Promise.all(agents.map((a) => a.kill()));
    await t?.stop();
  });

  it('reaches PostgreSQL through the agent, one stream per session', async () => {
    const c = await client('via-edge');
    const { rows } = await c.query<{ db: string; n: number }>('select current_database() as db, 41 + 1 as n');
    expect(rows).toEqual([{ db: 'test', n: 42 }]);
    const [edge] = (await listAgents(t, admin)).filter((a) => a.name === 'edge');
    expect(edge!.links[0]!.streams).toBe(1);
    expect(edge!.version).toMatch(/\d+\.\d+/);
    await c.end();
  });

  it('refuses a target outside the agent’s allowlist with a clear error', async () => {
    const err = await refusal('via-edge-unlisted');
    expect(err.code).toBe('08006');
    expect(err.message).toContain('127.0.0.1:3306 is not in');
    expect(err.message).toContain('allowlist');
  });

  it('a session stalled on a large result does not hold back another session on the same link', async () => {
    const big = await client('via-edge');
    const small = await client('via-edge');
    // The big session's reader stops reading: its stream fills one window and then waits.
    const stream = (big as unknown as { connection: { stream: NodeJS.ReadableStream } }).connection.stream;
    let bigDone = false;
    const result = big.query<{ g: number; pad: string }>("select g, repeat('x', 1000) as pad from generate_series(1, 40000) g");
    void result.then(() => (bigDone = true));
    await new Promise((r) => setTimeout(r, 100));
    stream.pause();
    for (let i = 0; i < 20; i++) {
      const { rows } = await small.query<{ i: number }>('select $1::int as i', [i]);
      expect(rows[0]!.i).toBe(i);
    }
    // The small session finished while the big result was still held back on its own stream.
    expect(bigDone).toBe(false);
    stream.resume();
    const { rows } = await result;
    expect(rows.length).toBe(40000);
    expect(rows[39999]!.g).toBe(40000);
    expect(rows[39999]!.pad.length).toBe(1000);
  });

  it('an offline agent: new sessions fail with 08006 naming the agent; it comes back on restart', async () => {
    const inFlight = await client('via-edge');
    await agents[0]!.kill();
    await waitForLinks(t, admin, 'edge', 0);
    // The session that rode the link ends with the reason, sent as FATAL 08006 and recorded.
    const lost = (await inFlight.query('select 1').then(() => undefined, (e: unknown) => e)) as Error | undefined;
    expect(lost).toBeDefined();
    const { session: ended } = await endedSession(t, 'alice', 'via-edge');
    expect(ended.endReason ?? '').toMatch(/target connection failed: .*agent "edge"/);
    const err = await refusal('via-edge');
    expect(err.code).toBe('08006');
    expect(err.message).toContain('agent "edge" is offline');

    agents.push(startAgent(t.apiUrl, agentToken, ['127.0.0.1:5432']));
    await waitForLinks(t, admin, 'edge', 1);
    const c = await client('via-edge');
    expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await c.end();
  });

  it('revoking the agent drops its link at once and its token no longer connects', async () => {
    const live = await client('via-edge');
    const ended = new Promise<void>((r) => live.once('end', () => r()));
    const revoked = await warden(['agents', 'revoke', 'edge', '--url', t.apiUrl, '--token', admin]);
    expect(revoked.code).toBe(0);
    await waitForLinks(t, admin, 'edge', 0);
    await ended; // the session riding the link ended with it
    const err = await refusal('via-edge');
    expect(err.message).toContain('agent "edge" is offline');
    const agent = agents[agents.length - 1]!;
    for (let i = 0; i < 200 && !agent.log().includes('refused this agent'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(agent.log()).toContain('invalid agent token');
  });

  it('rejects a link without a valid agent token', async () => {
    // A user token is not an agent token: the handshake is refused before any link exists.
    const status = await new Promise<number>((done, fail) => {
      const ws = new WebSocket(`${t.apiUrl.replace('http', 'ws')}/api/v1/agents/connect`, { headers: { authorization: `Bearer ${userToken}` } });
      ws.on('unexpected-response', (_req, res) => {
        done(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => fail(new Error('a user token opened an agent link')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(401);
  });
});
