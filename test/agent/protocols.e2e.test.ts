import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';
import { mariadb } from '../mysql/client.ts';
import { sshExec } from '../ssh/ssh-client.ts';
import { adminToken, agentTarget, listAgents, startAgent, waitForLinks, warden, type AgentProcess } from './support.ts';

// Every protocol over the tunnel unchanged: the real ssh and mariadb clients and the
// mysql2 driver → gateway (this process) → `warden agent` (a child process) → a real
// sshd and the machine's MariaDB. Only read-only statements reach the shared MariaDB.
describe('ssh and mysql through the agent (real processes)', () => {
  let t: TestGatewayWithMysql;
  let sshd: TestSshd;
  let admin: string;
  let token: string;
  let agent: AgentProcess;

  const streams = async () => (await listAgents(t, admin)).find((a) => a.name === 'edge')!.links[0]!.streams;

  beforeAll(async () => {
    sshd = await startTestSshd();
    t = await startTestGateway({ config: { agents: { waitMs: 300, heartbeatMs: 1000 } } });
    admin = await adminToken(t);
    token = await t.user('alice');
    const created = await warden(['agents', 'create', 'edge', '--url', t.apiUrl, '--token', admin, '--json']);
    const agentToken = (JSON.parse(created.stdout) as { token: string }).token;
    await agentTarget(t, 'box-edge', 'edge', { type: 'ssh', port: sshd.port, username: sshd.user, password: sshd.password });
    await agentTarget(t, 'maria-edge', 'edge', { type: 'mysql', port: 3306, username: 'root', database: 'test' });
    // The sshd's port is the only ssh target on the allowlist; 3306 for MariaDB.
    agent = startAgent(t.apiUrl, agentToken, [`127.0.0.1:${sshd.port}`, '127.0.0.1:3306']);
    await waitForLinks(t, admin, 'edge', 1);
  }, 60_000);

  afterAll(async () => {
    await agent?.kill();
    await t?.stop();
    await sshd?.stop();
  });

  it('ssh exec reaches the sshd through the agent: output, stdin, exit status, recording', async () => {
    const r = await sshExec(t.sshPort, 'alice@box-edge', token, 'whoami; echo via-agent >&2; exit 4');
    expect(r.stdout.trim()).toBe(sshd.user);
    expect(r.stderr).toContain('via-agent');
    expect(r.code).toBe(4);
    const piped = await sshExec(t.sshPort, 'alice@box-edge', token, 'tr a-z A-Z', 'through the tunnel\n');
    expect(piped).toMatchObject({ code: 0, stdout: 'THROUGH THE TUNNEL\n' });
    const { session, events } = await endedSession(t, 'alice', 'box-edge');
    expect(session.protocol).toBe('ssh');
    expect(events.find((e): e is StatementEvent => e.type === 'statement')!.text).toBe('tr a-z A-Z');
  });

  it('mysql2 runs text and prepared queries on MariaDB through the agent, one stream per session', async () => {
    const c = await mysql.createConnection({
      host: '127.0.0.1',
      port: t.mysqlPort,
      user: 'alice',
      database: 'maria-edge',
      authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) },
    });
    try {
      const [rows] = await c.query('select database() as db, @@port as port, 41 + 1 as n');
      expect(rows).toEqual([{ db: 'test', port: 3306, n: 42 }]);
      const [prepared] = await c.execute('select ? + 1 as n', [6]);
      expect(prepared).toEqual([{ n: 7 }]);
      expect(await streams()).toBe(1);
    } finally {
      await c.end();
    }
    const { session, events } = await endedSession(t, 'alice', 'maria-edge');
    expect(session.protocol).toBe('mysql');
    expect(events.some((e) => e.type === 'statement' && e.text.includes('41 + 1'))).toBe(true);
  });

  it('the mariadb CLI gets a multi-row result through the agent', async () => {
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria-edge', ['-N', '-e', 'select seq from seq_1_to_5000 where seq % 1000 = 0']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['1000', '2000', '3000', '4000', '5000']);
  });

  it('a target off the allowlist is refused by the agent with a clear mysql error', async () => {
    await agentTarget(t, 'maria-unlisted', 'edge', { type: 'mysql', port: 3307, username: 'root', database: 'test' });
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria-unlisted', ['-e', 'select 1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('127.0.0.1:3307 is not in');
    expect(r.stderr).toContain('allowlist');
  });

  it('ssh to a target off the allowlist fails, naming the allowlist', async () => {
    await agentTarget(t, 'box-unlisted', 'edge', { type: 'ssh', port: sshd.port + 1, username: sshd.user, password: sshd.password });
    const r = await sshExec(t.sshPort, 'alice@box-unlisted', token, 'whoami');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('allowlist');
  });
});
