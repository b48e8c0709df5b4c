import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519PublicKey } from '../../src/protocols/mysql/ed25519.ts';
import { realMysql, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { mariadb } from './client.ts';

/**
 * The gateway logs into the target as a vaulted user that MariaDB
 * authenticates with ed25519. The machine's MariaDB ships the plugin but may
 * not have it loaded: the test loads it (INSTALL SONAME) and unloads it only
 * if it did so itself. caching_sha2_password does not exist in MariaDB, so it
 * is only unit-tested (src/protocols/mysql/caching-sha2.test.ts).
 */
const suffix = randomBytes(4).toString('hex');
const edUser = `warden_ed_${suffix}`;
const edSecret = `ed-${randomBytes(6).toString('hex')}`;

describe('target login with MariaDB ed25519', () => {
  let t: TestGatewayWithMysql;
  let token: string;
  let root: mysql.Connection;
  let installedHere = false;

  beforeAll(async () => {
    root = await mysql.createConnection({ host: realMysql.host, port: realMysql.port, user: realMysql.user, database: 'test' });
    const [loaded] = await root.query("select 1 from information_schema.plugins where plugin_name = 'ed25519' and plugin_status = 'ACTIVE'");
    if ((loaded as unknown[]).length === 0) {
      await root.query("INSTALL SONAME 'auth_ed25519'");
      installedHere = true;
    }
    await root.query(`create user '${edUser}'@'%' identified via ed25519 using PASSWORD('${edSecret}')`);
    await root.query(`grant select on test.* to '${edUser}'@'%'`);
    t = await startTestGateway();
    token = await t.user('erin');
    await t.connection('maria-ed', { type: 'mysql', username: edUser, password: edSecret });
    await t.connection('maria-ed-bad', { type: 'mysql', username: edUser, password: 'not-it' });
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await root?.query(`drop user if exists '${edUser}'@'%'`);
    if (installedHere) await root?.query("UNINSTALL SONAME 'auth_ed25519'");
    await root?.end();
  });

  it('derives the public key MariaDB stores for the password', async () => {
    const [rows] = await root.query("select json_value(priv, '$.authentication_string') as k from mysql.global_priv where user = ?", [edUser]);
    expect((rows as { k: string }[])[0]!.k).toBe(ed25519PublicKey(edSecret).toString('base64').replace(/=+$/, ''));
  });

  it('logs in with the vaulted password and relays', async () => {
    const r = await mariadb(t.mysqlPort, 'erin', token, 'maria-ed', ['-N', '-e', 'select current_user()']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`${edUser}@%`);
  });

  it('a wrong vaulted password is refused by the target, without naming the vaulted user', async () => {
    const r = await mariadb(t.mysqlPort, 'erin', token, 'maria-ed-bad', ['-e', 'select 1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('refused the gateway');
    expect(r.stderr).not.toContain(edUser);
  });
});
