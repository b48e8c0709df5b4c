import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';

/**
 * COM_CHANGE_USER through mysql2's `changeUser`: the new user's token goes
 * through the same mysql_clear_password switch as a login, the database
 * names the connection, and the whole door (token, connection, policy
 * 'connect') is passed again. A successful change ends the session and
 * starts a new one of the new user (each with its own recording); a refused
 * change ends the connection. Reads only: the machine's MariaDB is shared.
 */
const rules = [
  { id: 'no-bob-on-secret', match: { users: ['bob'], connections: ['secret'] }, effect: 'block', message: 'bob may not open secret' },
  { id: 'allow-other', match: {}, effect: 'allow' },
];

describe('COM_CHANGE_USER', () => {
  let t: TestGatewayWithMysql;
  const tok: Record<string, string> = {};
  // The token is read from the connection's config, which changeUser replaces with the new password.
  const connect = (user: string, database: string) =>
    mysql.createConnection({
      host: '127.0.0.1',
      port: t.mysqlPort,
      user,
      password: tok[user],
      database,
      authPlugins: { mysql_clear_password: ({ connection }) => () => Buffer.from(`${connection.config.password}\0`) },
    });

  beforeAll(async () => {
    t = await startTestGateway({ rules });
    for (const name of ['maria', 'maria2', 'secret']) await t.connection(name, { type: 'mysql' });
    tok.alice = await t.user('alice');
    tok.bob = await t.user('bob');
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
  });

  it('re-authorises the new user: the old session ends, a new one of the new user is recorded', async () => {
    const c = await connect('alice', 'maria');
    await c.query("select 'before' as w");
    await c.changeUser({ user: 'bob', password: tok.bob, database: 'maria2' });
    const [rows] = await c.query("select 'after' as w");
    expect(rows).toEqual([{ w: 'after' }]);
    await c.end();

    const alice = await endedSession(t, 'alice', 'maria');
    expect(alice.session.endReason).toBe('change_user');
    const aliceTexts = alice.events.filter((e): e is StatementEvent => e.type === 'statement').map((e) => e.text);
    expect(aliceTexts).toEqual(["select 'before' as w"]);
    const bob = await endedSession(t, 'bob', 'maria2');
    const bobTexts = bob.events.filter((e): e is StatementEvent => e.type === 'statement').map((e) => e.text);
    expect(bobTexts).toEqual(["select 'after' as w"]);
  });

  it('accepts <user>/<connection> with the database as a target schema', async () => {
    const c = await connect('alice', 'maria');
    await c.changeUser({ user: 'bob/maria2', password: tok.bob, database: 'information_schema' });
    const [rows] = await c.query('select database() as d');
    expect(rows).toEqual([{ d: 'information_schema' }]);
    await c.end();
  });

  it('refuses a wrong token with 1045 and ends the connection', async () => {
    const c = await connect('alice', 'maria');
    c.on('error', () => undefined);
    await expect(c.changeUser({ user: 'bob', password: 'wdn_nope_nope', database: 'maria2' })).rejects.toMatchObject({ errno: 1045 });
    await expect(c.query('select 1')).rejects.toThrow();
  });

  it('checks policy for the new user and connection: a denied connect is refused', async () => {
    const c = await connect('alice', 'secret');
    c.on('error', () => undefined);
    await c.query('select 1');
    await expect(c.changeUser({ user: 'bob', password: tok.bob, database: 'secret' })).rejects.toMatchObject({ errno: 1045, message: expect.stringContaining('bob may not open secret') });
    await expect(c.query('select 1')).rejects.toThrow();
    const sessions = await t.gw.core.sessions.list({ userName: 'bob', connectionName: 'secret', limit: 5 });
    expect(sessions).toEqual([]);
  });

  it('refuses a user name that names no connection', async () => {
    const c = await connect('alice', 'maria');
    c.on('error', () => undefined);
    await expect(c.changeUser({ user: 'bob/', password: tok.bob, database: 'maria' })).rejects.toMatchObject({ errno: 1045, message: expect.stringContaining('<user>/<connection>') });
  });
});
