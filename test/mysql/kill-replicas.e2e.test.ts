import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realMysql, sharedReplicaSetup, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';

// Two gateway replicas on one PostgreSQL store. The mariadb CLI's Ctrl-C is a KILL on a new connection,
// which a load balancer may send to any replica: here the session runs on A and the KILL goes to B.
// B does not hold the id; it asks over LISTEN/NOTIFY and A kills only a session of the same user.
describe('MySQL KILL sent to another replica', () => {
  const shared = sharedReplicaSetup();
  const config = shared.config;
  let a: TestGatewayWithMysql;
  let b: TestGatewayWithMysql;
  let root: mysql.Connection;
  const tokens: Record<string, string> = {};
  const opened: mysql.Connection[] = [];

  /** `database: null` logs in without one (the CLI's KILL-only login). */
  const connect = async (gw: TestGatewayWithMysql, user: string, database: string | null = 'maria') => {
    const c = await mysql.createConnection({
      host: '127.0.0.1',
      port: gw.mysqlPort,
      user,
      database: database ?? undefined,
      authPlugins: { mysql_clear_password: () => () => Buffer.from(`${tokens[user]}\0`) },
    });
    c.on('error', () => undefined);
    opened.push(c);
    return c;
  };
  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 400; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('condition not reached');
  };
  /** Starts `select sleep(30)` through A as alice; resolves once MariaDB itself shows it running. */
  const sleepOnA = async () => {
    const c = await connect(a, 'alice');
    const marker = `warden_h8_${randomBytes(4).toString('hex')}`;
    const result = c.query(`select sleep(30) as ${marker}`).then(
      () => undefined,
      (e: { errno?: number }) => e,
    );
    const running = async () => {
      const [rows] = await root.query('select id from information_schema.processlist where info like ? and id <> connection_id()', [`%${marker}%`]);
      return (rows as unknown[]).length > 0;
    };
    await until(running);
    return { c, id: c.threadId!, result, running };
  };

  beforeAll(async () => {
    a = await startTestGateway({ config: { ...config, replica: 'gw-a' } });
    b = await startTestGateway({ config: { ...config, replica: 'gw-b' } });
    tokens.alice = await a.user('alice');
    tokens.bob = await a.user('bob');
    await a.connection('maria', { type: 'mysql' });
    root = await mysql.createConnection({ host: realMysql.host, port: realMysql.port, user: realMysql.user });
  }, 60_000);

  afterAll(async () => {
    for (const c of opened) c.destroy();
    await root?.end();
    await b?.stop().catch(() => undefined);
    await a?.stop().catch(() => undefined);
    await shared.remove();
  });

  it('the same user’s KILL QUERY through B interrupts sleep(30) on A (1317), and the session goes on', async () => {
    const { c, id, result, running } = await sleepOnA();
    const killer = await connect(b, 'alice', null);
    await killer.query(`KILL QUERY ${id}`);
    expect(await result).toMatchObject({ errno: 1317 });
    expect(await running()).toBe(false);
    expect(((await c.query('select 1 as one'))[0] as { one: number }[])[0]!.one).toBe(1);
  }, 60_000);

  it('another user’s KILL through B is unknown thread (1094) and kills nothing', async () => {
    const { id, result, running } = await sleepOnA();
    const bobOnB = await connect(b, 'bob');
    await expect(bobOnB.query(`KILL QUERY ${id}`)).rejects.toMatchObject({ errno: 1094 });
    await expect(bobOnB.query(`KILL ${id}`)).rejects.toMatchObject({ errno: 1094 });
    const bobBare = await connect(b, 'bob', null);
    await expect(bobBare.query(`KILL QUERY ${id}`)).rejects.toMatchObject({ errno: 1094 });
    expect(await running()).toBe(true);
    // An id no replica holds: the same answer, after the bounded wait.
    const alice = await connect(b, 'alice', null);
    await expect(alice.query(`KILL QUERY ${id === 1 ? 2 : id - 1}`)).rejects.toMatchObject({ errno: 1094 });
    expect(await running()).toBe(true);
    // Clean up through the rightful owner.
    await alice.query(`KILL QUERY ${id}`);
    expect(await result).toMatchObject({ errno: 1317 });
  }, 60_000);

  it('KILL CONNECTION through B ends the session on A', async () => {
    const { c, id, result, running } = await sleepOnA();
    const killer = await connect(b, 'alice');
    await killer.query(`KILL CONNECTION ${id}`);
    // The running query fails with the connection (mysql2 rejects it rather than emitting 'error').
    expect(await result).toBeInstanceOf(Error);
    expect(await running()).toBe(false);
    await expect(c.query('select 1')).rejects.toThrow();
  }, 60_000);

  it('gives each replica’s connections ids of its own, not a count both repeat', async () => {
    const ids = [...(await Promise.all([1, 2, 3].map(() => connect(a, 'alice')))), ...(await Promise.all([1, 2, 3].map(() => connect(b, 'alice'))))].map((c) => c.threadId!);
    expect(new Set(ids).size).toBe(6);
    for (const id of ids) expect(id > 0 && id <= 0xffffffff).toBe(true);
  }, 60_000);
});
