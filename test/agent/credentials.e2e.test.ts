import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { gatewayUrl, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { startPrivatePg, type PrivatePg } from '../helpers/private-pg.ts';
import { psql } from '../helpers/psql.ts';
import { adminToken, startAgent, waitForLinks, warden, type AgentProcess } from './support.ts';

// A password-protected PostgreSQL reached only through the agent, in both credential modes:
// the gateway's vaulted password (answered by the gateway), and `credentials: agent` (the agent
// holds the password in its --credentials file and answers the target's md5/SCRAM challenges).
describe('target credentials: held by the gateway or by the agent', () => {
  let target: PrivatePg;
  let t: TestGateway;
  let userToken: string;
  let agent: AgentProcess;
  const dir = mkdtempSync(join(tmpdir(), 'warden-agent-creds-'));

  const connection = async (name: string, o: { username: string; password?: string; credentials?: 'agent' }) =>
    t.gw.core.connections.create({
      id: newId('con'),
      name,
      type: 'postgres',
      host: '127.0.0.1',
      port: target.port,
      database: 'postgres',
      username: o.username,
      sealedSecret: o.password === undefined ? null : t.gw.core.vault.seal(o.password),
      tls: 'disable',
      tags: [],
      agent: 'edge',
      ...(o.credentials ? { credentials: o.credentials } : {}),
      createdAt: new Date(),
    });
  const run = (connection: string, sql: string) => psql([gatewayUrl(t, 'alice', userToken, connection), '-At', '-c', sql]);

  beforeAll(async () => {
    target = await startPrivatePg();
    t = await startTestGateway({ config: { agents: { waitMs: 3000, heartbeatMs: 1000 } } });
    const admin = await adminToken(t);
    userToken = await t.user('alice');
    const res = await fetch(`${t.apiUrl}/api/v1/agents`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'edge' }) });
    const { token } = (await res.json()) as { token: string };
    // The agent's own file: the SCRAM role at 127.0.0.1, the md5 role at localhost (same server).
    // Nothing of it is in the gateway's store.
    const creds = join(dir, 'credentials.yaml');
    writeFileSync(
      creds,
      [`"127.0.0.1:${target.port}":`, `  user: ${target.roles.scram}`, `  password: "${target.password}"`, `"localhost:${target.port}":`, `  user: ${target.roles.md5}`, `  password: "${target.password}"`, ''].join('\n'),
      { mode: 0o600 },
    );
    await connection('vaulted', { username: target.roles.scram, password: target.password });
    // Through the API, as an admin would: no password, the agent named.
    const api = (body: unknown) =>
      fetch(`${t.apiUrl}/api/v1/connections`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const spec = { name: 'agent-scram', type: 'postgres', host: '127.0.0.1', port: target.port, database: 'postgres', username: 'set-by-the-agent', tls: 'disable', agent: 'edge', credentials: 'agent' };
    const refused = await api({ ...spec, password: 'must not be here' });
    expect(refused.status).toBe(400);
    const created = await api(spec);
    expect(created.status).toBe(201);
    expect(((await created.json()) as { credentials: string; hasSecret: boolean })).toMatchObject({ credentials: 'agent', hasSecret: false });
    // And through the CLI.
    const cli = await warden(['connections', 'create', 'agent-md5', '--host', 'localhost', '--port', String(target.port), '--database', 'postgres', '--username', 'set-by-the-agent', '--tls', 'disable', '--agent', 'edge', '--agent-credentials', '--url', t.apiUrl, '--token', admin]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    agent = startAgent(t.apiUrl, token, [`127.0.0.1:${target.port}`, `localhost:${target.port}`], ['--credentials', creds]);
    await waitForLinks(t, admin, 'edge', 1);
  }, 120_000);

  afterAll(async () => {
    await agent?.kill();
    await t?.stop();
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gateway mode: the vaulted password, through the agent, via psql', async () => {
    const out = await run('vaulted', 'select current_user');
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe(target.roles.scram);
  });

  it('agent mode: the agent answers the SCRAM exchange; the gateway stores no secret', async () => {
    const stored = await t.gw.core.connections.byName('agent-scram');
    expect(stored?.credentials).toBe('agent');
    expect(stored?.sealedSecret).toBeNull();
    const out = await run('agent-scram', 'select current_user');
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe(target.roles.scram);
  });

  it('agent mode with md5: the agent answers the salted challenge', async () => {
    const out = await run('agent-md5', 'select current_user');
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe(target.roles.md5);
  });

  it('agent mode on a direct connection (no agent) fails closed', async () => {
    await t.gw.core.connections.create({ ...(await t.gw.core.connections.byName('agent-scram'))!, id: newId('con'), name: 'agent-direct', agent: null });
    const out = await run('agent-direct', 'select 1');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('credentials are held by an agent');
  });
});
