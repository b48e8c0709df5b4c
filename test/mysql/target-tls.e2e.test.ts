import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startPrivateMariadb, type PrivateMariadb } from '../helpers/private-mariadb.ts';
import { mariadb } from './client.ts';

/**
 * TLS from the gateway to a MySQL target: a private MariaDB with its own CA
 * and a user created REQUIRE SSL. The client talks plaintext to the gateway
 * (loopback); what is checked is the gateway's own link to the target, as
 * the target sees it (its Ssl_cipher status for the session).
 */
const rules = [{ id: 'allow-all', match: {}, effect: 'allow' }];
const secret = `tls-${randomBytes(6).toString('hex')}`;
const cipherQuery = "select variable_value from information_schema.session_status where variable_name = 'Ssl_cipher'";

describe('TLS to MySQL targets (private MariaDB with --ssl-cert/--ssl-key/--ssl-ca)', () => {
  let db: PrivateMariadb;
  let t: TestGatewayWithMysql;
  let token: string;

  beforeAll(async () => {
    db = await startPrivateMariadb({ tls: true });
    await db.sql(`create database app; create table app.t (id int primary key, v varchar(20)); insert into app.t values (1, 'one');
      create user 'secure_u'@'%' identified by '${secret}' require ssl; grant select on app.* to 'secure_u'@'%';
      create user 'plain_u'@'%' identified by '${secret}'; grant select on app.* to 'plain_u'@'%'`);
    t = await startTestGateway({ rules });
    token = await t.user('tess');
    const target = { type: 'mysql' as const, host: '127.0.0.1', port: db.port, database: 'app', password: secret };
    await t.connection('tls-require', { ...target, username: 'secure_u', tls: 'require' });
    await t.connection('tls-prefer', { ...target, username: 'plain_u', tls: 'prefer' });
    await t.connection('tls-disable-plain', { ...target, username: 'plain_u', tls: 'disable' });
    await t.connection('tls-disable-secure', { ...target, username: 'secure_u', tls: 'disable' });
    // The test CA is in no trust store the gateway uses: verify-full must refuse it.
    await t.connection('tls-verify-untrusted', { ...target, username: 'secure_u', tls: 'verify-full' });
    // The machine's MariaDB does not offer TLS at all.
    await t.connection('no-tls-target', { type: 'mysql', tls: 'require' });
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
    await db?.stop();
  });

  it('tls "require": logs in as a REQUIRE SSL user over TLS and relays queries and rows', async () => {
    const r = await mariadb(t.mysqlPort, 'tess', token, 'tls-require', ['-N', '-e', `${cipherQuery}; select current_user(), v from t`]);
    expect(r.stderr).toBe('');
    const [cipher, row] = r.stdout.trim().split('\n');
    expect(cipher).toMatch(/^TLS_|^ECDHE|AES/);
    expect(row).toBe('secure_u@%\tone');
  });

  it('tls "prefer": encrypts when the target offers TLS; "disable" does not', async () => {
    const on = await mariadb(t.mysqlPort, 'tess', token, 'tls-prefer', ['-N', '-e', cipherQuery]);
    expect(on.stderr).toBe('');
    expect(on.stdout.trim()).not.toBe('');
    const off = await mariadb(t.mysqlPort, 'tess', token, 'tls-disable-plain', ['-N', '-e', cipherQuery]);
    expect(off.stderr).toBe('');
    expect(off.stdout.trim()).toBe('');
  });

  it('tls "disable" to a REQUIRE SSL user: the target refuses, and the client is told to check TLS', async () => {
    const r = await mariadb(t.mysqlPort, 'tess', token, 'tls-disable-secure', ['-e', 'select 1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("refused the gateway's login (1045)");
    expect(r.stderr).toContain('requires TLS');
    expect(r.stderr).not.toContain('secure_u');
  });

  it('tls "verify-full" with a certificate from an untrusted CA: refused with a clear error, nothing sent in the clear', async () => {
    const before = db.generalLog().length;
    const r = await mariadb(t.mysqlPort, 'tess', token, 'tls-verify-untrusted', ['-e', 'select 1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('TLS to the target failed');
    expect(r.stderr).toMatch(/certificate/);
    // The target never saw a login: no Connect line for the user after the refused handshake.
    expect(db.generalLog().slice(before)).not.toContain('secure_u');
  });

  it('tls "require" to a target that does not offer TLS: refused, never plaintext', async () => {
    const r = await mariadb(t.mysqlPort, 'tess', token, 'no-tls-target', ['-e', 'select 1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('does not offer TLS');
  });
});
