import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { endedSession, realMysql, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';

/**
 * KILL through the gateway: clients know only the gateway's connection ids
 * (the handshake's), a user may kill only their own sessions' queries, and
 * the mapping happens before policy — here a rule blocks every KillStmt, yet
 * killing one's own query works.
 */
const rules = [
  { id: 'no-kill', match: { kinds: ['KillStmt'] }, effect: 'block' },
  { id: 'allow-other', match: {}, effect: 'allow' },
];

describe('KILL through the gateway', () => {
  let t: TestGatewayWithMysql;
  const tokens: Record<string, string> = {};
  const opened: mysql.Connection[] = [];
  let root: mysql.Connection;
  /** `database: null` logs in without one (a KILL-only login). */
  const connect = async (user: string, database: string | null = 'maria') => {
    const c = await mysql.createConnection({
      host: '127.0.0.1',
      port: t.mysqlPort,
      user,
      database: database ?? undefined,
      authPlugins: { mysql_clear_password: () => () => Buffer.from(`${tokens[user]}\0`) },
    });
    opened.push(c);
    return c;
  };
  /** Whether the target runs `SELECT SLEEP…` on its connection `id` (checked directly on MariaDB). */
  const sleeping = async (id: number): Promise<boolean> => {
    const [rows] = await root.query('select info from information_schema.processlist where id = ?', [id]);
    return /SLEEP/i.test(String((rows as { info: string | null }[])[0]?.info ?? ''));
  };
  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 400; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('condition not reached');
  };
  const targetId = async (c: mysql.Connection): Promise<number> => Number(((await c.query('select connection_id() as id'))[0] as { id: number }[])[0]!.id);

  beforeAll(async () => {
    t = await startTestGateway({ rules });
    tokens.alice = await t.user('alice');
    tokens.bob = await t.user('bob');
    await t.connection('maria', { type: 'mysql' });
    root = await mysql.createConnection({ host: realMysql.host, port: realMysql.port, user: realMysql.user });
  }, 60_000);

  afterAll(async () => {
    for (const c of opened) c.destroy();
    await root?.end();
    await t?.stop();
  });

  it('lets a user cancel their own query by its gateway id, and no one else', async () => {
    const a1 = await connect('alice');
    const gatewayId = a1.threadId!;
    const tid = await targetId(a1);
    expect(gatewayId).not.toBe(tid); // the client sees the gateway's id, not the target's
    const running = a1.query('SELECT SLEEP(10)').then(() => undefined, (e: { errno?: number }) => e);
    await until(() => sleeping(tid));

    // Another user: refused like the server refuses another account's thread; the query goes on.
    const b = await connect('bob');
    await expect(b.query(`KILL QUERY ${gatewayId}`)).rejects.toMatchObject({ errno: 1095 });
    await expect(b.query(`KILL ${gatewayId}`)).rejects.toMatchObject({ errno: 1095 });
    // The target's own id means nothing through the gateway.
    await expect(b.query(`KILL QUERY ${tid}`)).rejects.toMatchObject({ errno: 1095 });
    expect(await sleeping(tid)).toBe(true);

    // The same user, from a new connection (as the mariadb CLI does on Ctrl-C): the query is interrupted.
    const a2 = await connect('alice');
    await a2.query(`KILL QUERY ${gatewayId}`);
    expect(await running).toMatchObject({ errno: 1317 });
    // Only the query was killed: the session goes on.
    expect(((await a1.query('select 1 as one'))[0] as { one: number }[])[0]!.one).toBe(1);

    // Forms the gateway cannot map are refused, never forwarded (the policy would block them anyway).
    await expect(a2.query('KILL USER root')).rejects.toMatchObject({ errno: 1235 });
    await a2.end();
    const { events } = await endedSession(t, 'alice');
    const kill = events.find((e): e is StatementEvent => e.type === 'statement' && e.text === `KILL QUERY ${gatewayId}`);
    expect(kill).toMatchObject({ verdict: { effect: 'allow', rules: ['warden:kill-own'] } });
    expect(kill?.error).toBeUndefined();
  }, 30_000);

  it('KILL <id> ends the named session of the same user', async () => {
    const a1 = await connect('alice');
    const gatewayId = a1.threadId!;
    const closed = new Promise<void>((resolve) => a1.on('error', () => resolve()));
    const a2 = await connect('alice');
    await a2.query(`KILL ${gatewayId}`);
    await closed;
    await expect(a1.query('select 1')).rejects.toThrow();
    await a2.end();
  }, 30_000);

  it('Ctrl-C in the mariadb CLI cancels the query (its KILL comes on a login without a database)', async () => {
    // Ids are random: the CLI's `status` prints its own (the gateway's greeting id); --unbuffered flushes it
    // with the next result, before the sleep runs.
    const marker = `warden_ctrl_c_${randomBytes(4).toString('hex')}`;
    const cli = spawn('mariadb', ['--no-defaults', '--skip-ssl', '-h', '127.0.0.1', '-P', String(t.mysqlPort), '-u', 'alice', `-p${tokens.alice}`, '-D', 'maria', '--unbuffered', '-e', `status; select 1 as flush; select sleep(10) as ${marker}`]);
    let output = '';
    cli.stdout.on('data', (b: Buffer) => (output += b.toString()));
    cli.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on('exit', resolve));
    const running = async () => {
      const [rows] = await root.query('select id from information_schema.processlist where info like ? and id <> connection_id()', [`%${marker}%`]);
      return (rows as { id: number }[]).length > 0;
    };
    try {
      await until(running);
      await until(async () => /Connection id:/.test(output));
      const cliId = Number(/Connection id:\s+(\d+)/.exec(output)?.[1]);
      expect(cliId).toBeGreaterThan(0);
      // Someone else, on a database-less login too, cannot cancel it.
      const b = await connect('bob', null);
      await expect(b.query(`KILL QUERY ${cliId}`)).rejects.toMatchObject({ errno: 1095 });
      await expect(b.query('select 1')).rejects.toMatchObject({ errno: 1046 });
      expect(await running()).toBe(true);
      cli.kill('SIGINT');
      expect(await exited).not.toBe(0);
      expect(output).toContain('1317');
      expect(await running()).toBe(false);
    } finally {
      cli.kill('SIGKILL');
    }
  }, 30_000);
});
