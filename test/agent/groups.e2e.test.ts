import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { adminToken, listAgents, startAgent, waitForLinks, warden, type AgentProcess } from './support.ts';

// One PostgreSQL connection served by agent group "dc1"; real `warden agent` processes of that
// group, each with its own token. Where a session went is read from the gateway's own count of
// streams in flight per agent link (GET /api/v1/agents → links[].streams).
describe('agent groups: several agents serve one connection', () => {
  let t: TestGateway;
  let admin: string;
  let userToken: string;
  const agents: AgentProcess[] = [];
  const open: pg.Client[] = [];

  const cli = (args: string[]) => warden([...args, '--url', t.apiUrl, '--token', admin]);
  const createAgent = async (name: string): Promise<string> => {
    const r = await cli(['agents', 'create', name, '--group', 'dc1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const issued = JSON.parse(r.stdout) as { token: string; agent: { groups: string[] } };
    expect(issued.agent.groups).toEqual(['dc1']);
    return issued.token;
  };
  const launch = async (name: string, token: string): Promise<AgentProcess> => {
    const a = startAgent(t.apiUrl, token, ['127.0.0.1:5432']);
    agents.push(a);
    await waitForLinks(t, admin, name, 1);
    return a;
  };
  /** A session left open, so its stream stays in flight on the agent that carries it. */
  const session = async (): Promise<pg.Client> => {
    const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'alice', password: userToken, database: 'via-dc1' });
    c.on('error', () => undefined);
    await c.connect();
    open.push(c);
    expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    return c;
  };
  const streams = async (): Promise<Record<string, number>> =>
    Object.fromEntries((await listAgents(t, admin)).filter((a) => a.links.length > 0).map((a) => [a.name, a.links.reduce((n, l) => n + l.streams, 0)]));
  /** Ends the open sessions and waits (bounded) until the gateway counts no stream in flight, so the next count starts at zero. */
  const closeAll = async () => {
    for (const c of open.splice(0)) await c.end().catch(() => undefined);
    for (let i = 0; i < 200 && Object.values(await streams().catch(() => ({}))).some((n) => n > 0); i++) await new Promise((r) => setTimeout(r, 25));
  };

  beforeAll(async () => {
    t = await startTestGateway({ config: { agents: { waitMs: 1500, heartbeatMs: 1000 } } });
    admin = await adminToken(t);
    userToken = await t.user('alice');
    const made = await cli(['connections', 'create', 'via-dc1', '--host', '127.0.0.1', '--port', '5432', '--database', 'test', '--username', 'postgres', '--tls', 'disable', '--agent-group', 'dc1', '--json']);
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ agent: null, agentGroup: 'dc1' });
  }, 60_000);

  afterAll(async () => {
    await closeAll();
    for (const a of agents) await a.kill();
    await t?.stop();
  });

  it('refuses a connection naming both an agent and a group', async () => {
    const r = await cli(['connections', 'create', 'both', '--host', '127.0.0.1', '--port', '5432', '--username', 'postgres', '--agent', 'east', '--agent-group', 'dc1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not both/);
    // Nor may a change leave both set; moving from the group to one agent clears the group in the same request.
    const patch = (body: unknown) => fetch(`${t.apiUrl}/api/v1/connections/via-dc1`, { method: 'PATCH', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const both = await patch({ agent: 'east' });
    expect(both.status).toBe(400);
    expect(((await both.json()) as { message: string }).message).toMatch(/not both/);
    expect(await (await patch({ agent: 'east', agentGroup: null })).json()).toMatchObject({ agent: 'east', agentGroup: null });
    expect(await (await patch({ agent: null, agentGroup: 'dc1' })).json()).toMatchObject({ agent: null, agentGroup: 'dc1' });
  });

  it('spreads sessions over both agents of the group; `agents list` shows the groups', async () => {
    await launch('east', await createAgent('east'));
    await launch('west', await createAgent('west'));
    for (let i = 0; i < 4; i++) await session();
    expect(await streams()).toEqual({ east: 2, west: 2 });
    const listed = await cli(['agents', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^east\s+dc1\s/m);
    expect(listed.stdout).toMatch(/^west\s+dc1\s/m);
    await closeAll();
  }, 60_000);

  it('revoking one agent drops only that one; new sessions go to the other', async () => {
    const res = await fetch(`${t.apiUrl}/api/v1/agents/east`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(204);
    await waitForLinks(t, admin, 'east', 0);
    await waitForLinks(t, admin, 'west', 1);
    for (let i = 0; i < 3; i++) await session();
    expect(await streams()).toEqual({ west: 3 });
    await closeAll();
  }, 60_000);

  it('an agent killed mid-session: its sessions end, new ones ride the group\'s other agent', async () => {
    await launch('south', await createAgent('south'));
    const onWest = await session();
    const onSouth = await session();
    expect(await streams()).toEqual({ west: 1, south: 1 });
    const west = agents[1]!;
    await west.kill();
    await waitForLinks(t, admin, 'west', 0);
    // Which of the two sessions rode west is not known to the client; exactly one of them is cut.
    const alive = await Promise.all([onWest, onSouth].map((c) => c.query('select 1').then(() => true, () => false)));
    expect(alive.filter(Boolean)).toHaveLength(1);
    for (let i = 0; i < 3; i++) await session();
    expect((await streams())['south']).toBe(4);
    await closeAll();
  }, 60_000);

  it('with no agent of the group online, a session fails after the wait, naming the group', async () => {
    await agents[2]!.kill();
    await waitForLinks(t, admin, 'south', 0);
    const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'alice', password: userToken, database: 'via-dc1' });
    c.on('error', () => undefined);
    await expect(c.connect()).rejects.toThrow(/no agent of group "dc1" online/);
  }, 30_000);
});
