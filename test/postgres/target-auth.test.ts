import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { startPrivatePg, type PrivatePg } from '../helpers/private-pg.ts';

// The gateway logs in to targets with vaulted credentials, by every method a real server asks for.
let t: TestGateway;
let target: PrivatePg;
let token: string;

beforeAll(async () => {
  [t, target] = await Promise.all([startTestGateway(), startPrivatePg()]);
  token = await t.user('dave');
  const common = { port: target.port, database: 'postgres', password: target.password };
  await t.connection('scram', { ...common, username: target.roles.scram });
  await t.connection('md5', { ...common, username: target.roles.md5 });
  await t.connection('clear', { ...common, username: target.roles.cleartext });
  await t.connection('tls', { ...common, username: target.roles.tlsOnly, tls: 'require' });
  await t.connection('tls-off', { ...common, username: target.roles.tlsOnly, tls: 'disable' });
  await t.connection('wrong-pw', { ...common, username: target.roles.scram, password: 'not-it' });
}, 120_000);
afterAll(async () => {
  await t?.stop();
  await target?.stop();
});

async function whoami(connection: string) {
  const c = new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'dave', password: token, database: connection });
  await c.connect();
  try {
    return (await c.query('select current_user as u, (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as ssl')).rows[0];
  } finally {
    await c.end();
  }
}

describe('gateway → target authentication', () => {
  it.each([
    ['scram', 'w_scram'],
    ['md5', 'w_md5'],
    ['clear', 'w_clear'],
  ])('logs in with %s', async (connection, role) => {
    expect(await whoami(connection)).toEqual({ u: role, ssl: false });
  });

  it('uses TLS to the target when the connection requires it', async () => {
    expect(await whoami('tls')).toEqual({ u: 'w_tls', ssl: true });
    // The same role over plaintext is refused by the target (hostssl only): the client gets 08006.
    await expect(whoami('tls-off')).rejects.toMatchObject({ code: '08006' });
  });

  it('never shows the stored credential when the target refuses it', async () => {
    const err = (await whoami('wrong-pw').catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('08006');
    expect(err.message).toContain('refused the gateway\'s login');
    expect(err.message).not.toContain(target.password);
    expect(err.message).not.toContain('not-it');
  });
});
