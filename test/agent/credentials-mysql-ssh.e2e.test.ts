import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import ssh2, { type ParsedKey } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { generateEd25519Pair } from '../../src/core/ssh-key-parser.ts';
import { startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { startPrivateMariadb, type PrivateMariadb } from '../helpers/private-mariadb.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';
import { mariadb } from '../mysql/client.ts';
import { sshExec } from '../ssh/ssh-client.ts';
import { adminToken, startAgent, waitForLinks, warden, type AgentProcess } from './support.ts';

// `credentials: agent` for MySQL and SSH, real processes: mysql2, the mariadb CLI and
// OpenSSH's ssh → gateway (this process) → `warden agent` (a child process, holding the
// secrets in its --credentials file) → a private MariaDB and a private sshd. The gateway
// stores no secret: MySQL scrambles are answered by the agent (native password, ed25519),
// and the SSH login is by public key, signed by the agent.
describe('agent-held credentials for MySQL and SSH (real processes)', () => {
  let maria: PrivateMariadb;
  let sshd: TestSshd;
  let t: TestGatewayWithMysql;
  let admin: string;
  let token: string;
  const agents: AgentProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'warden-agent-creds-'));
  const nativePw = `nat-${randomBytes(8).toString('hex')}`;
  const edPw = `ed-${randomBytes(8).toString('hex')}`;
  const good = generateEd25519Pair();
  const rsa = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 });
  const unknownKey = generateEd25519Pair();
  let edAvailable = false;

  const connection = (name: string, type: 'mysql' | 'ssh', host: string, port: number, agent: string) =>
    t.gw.core.connections.create({
      id: newId('con'),
      name,
      type,
      host,
      port,
      database: type === 'mysql' ? 'appdb' : null,
      username: 'set-by-the-agent',
      sealedSecret: null,
      tls: 'disable',
      tags: [],
      agent,
      credentials: 'agent',
      createdAt: new Date(),
    });

  const agentFor = async (name: string, allow: string[], creds: string[]) => {
    const created = await warden(['agents', 'create', name, '--url', t.apiUrl, '--token', admin, '--json']);
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `${creds.join('\n')}\n`, { mode: 0o600 });
    agents.push(startAgent(t.apiUrl, (JSON.parse(created.stdout) as { token: string }).token, allow, ['--credentials', file]));
    await waitForLinks(t, admin, name, 1);
  };

  beforeAll(async () => {
    // The sshd accepts the agent's ed25519 and RSA keys; `unknownKey` is held by the agent for another alias, and refused.
    [maria, sshd] = await Promise.all([startPrivateMariadb(), startTestSshd({ authorizedKey: `${good.public}\n${rsa.public}` })]);
    await maria.sql(`create database appdb; create table appdb.t (n int); insert into appdb.t values (7);
      create user 'nat'@'%' identified by '${nativePw}'; grant select on appdb.* to 'nat'@'%'`);
    try {
      await maria.sql("INSTALL SONAME 'auth_ed25519'");
      await maria.sql(`create user 'ed'@'%' identified via ed25519 using PASSWORD('${edPw}'); grant select on appdb.* to 'ed'@'%'`);
      edAvailable = true;
    } catch {
      // This MariaDB build lacks the plugin: the ed25519 case reports itself skipped below.
    }
    writeFileSync(join(dir, 'id_ed25519'), good.private, { mode: 0o600 });
    // The default heartbeat (15 s), not 1 s: an agent's first ed25519 signature (the curve's tables
    // built in pure JS) blocks its event loop for 0.4 s on a loaded machine and over a second on a
    // loaded 2-core CI, and a peer that cannot pong for a whole interval is dropped, as configured.
    // Nothing here tests heartbeats (src/tunnel/heartbeat.test.ts does).
    t = await startTestGateway({ config: { agents: { waitMs: 3000 } } });
    admin = await adminToken(t);
    token = await t.user('alice');
    const m = maria.port;
    const s = sshd.port;
    // Agent "edge": the right secrets (127.0.0.1) and, for localhost, the ed25519 MySQL user and an SSH key the target does not know.
    await agentFor('edge', [`127.0.0.1:${m}`, `localhost:${m}`, `127.0.0.1:${s}`, `localhost:${s}`], [
      `"127.0.0.1:${m}": { user: nat, password: "${nativePw}" }`,
      `"localhost:${m}": { user: ed, password: "${edPw}" }`,
      // A key file path (relative to the credentials file) and an inline PEM.
      `"127.0.0.1:${s}": { user: ${sshd.user}, privateKey: id_ed25519 }`,
      `"localhost:${s}": { user: ${sshd.user}, privateKey: ${JSON.stringify(unknownKey.private)} }`,
    ]);
    // Agent "edge-rsa": an RSA key for the sshd; a wrong MySQL password.
    await agentFor('edge-rsa', [`127.0.0.1:${m}`, `127.0.0.1:${s}`], [
      `"127.0.0.1:${m}": { user: nat, password: "not-the-password" }`,
      `"127.0.0.1:${s}": { user: ${sshd.user}, privateKey: ${JSON.stringify(rsa.private)} }`,
    ]);
    // Agent "edge-pw": an SSH password, which the agent never lends out.
    await agentFor('edge-pw', [`127.0.0.1:${s}`], [`"127.0.0.1:${s}": { user: ${sshd.user}, password: "${sshd.password}" }`]);
    await connection('maria-native', 'mysql', '127.0.0.1', m, 'edge');
    await connection('maria-ed', 'mysql', 'localhost', m, 'edge');
    await connection('maria-wrong', 'mysql', '127.0.0.1', m, 'edge-rsa');
    await connection('box-unknown-key', 'ssh', 'localhost', s, 'edge');
    await connection('box-rsa', 'ssh', '127.0.0.1', s, 'edge-rsa');
    await connection('box-password', 'ssh', '127.0.0.1', s, 'edge-pw');
    // And one through the API, as an admin would: no password, the agent named.
    const res = await fetch(`${t.apiUrl}/api/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'box', type: 'ssh', host: '127.0.0.1', port: s, username: 'set-by-the-agent', tls: 'disable', agent: 'edge', credentials: 'agent' }),
    });
    expect(res.status).toBe(201);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.kill()));
    await t?.stop();
    await Promise.all([maria?.stop(), sshd?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('mysql2 logs in with mysql_native_password answered by the agent', async () => {
    const c = await mysql.createConnection({
      host: '127.0.0.1',
      port: t.mysqlPort,
      user: 'alice',
      database: 'maria-native',
      authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) },
    });
    try {
      const [rows] = await c.query('select current_user() as u, n from t');
      expect(rows).toEqual([{ u: 'nat@%', n: 7 }]);
    } finally {
      await c.end();
    }
  });

  it('the mariadb CLI logs in as an ed25519 user, the agent signing the scramble', async (ctx) => {
    if (!edAvailable) ctx.skip();
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria-ed', ['-N', '-e', 'select current_user(), n from t']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ed@%\t7');
  });

  it('ssh logs in with the ed25519 key only the agent holds', async () => {
    const r = await sshExec(t.sshPort, 'alice@box', token, 'whoami; echo key-login');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${sshd.user}\nkey-login\n`);
    expect(r.code).toBe(0);
  });

  it('ssh logs in with an RSA key (rsa-sha2 signature) only the agent holds', async () => {
    const r = await sshExec(t.sshPort, 'alice@box-rsa', token, 'whoami');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(sshd.user);
  });

  it('a wrong MySQL password on the agent is a clear login error naming the agent', async () => {
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria-wrong', ['-e', 'select 1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("the target refused the gateway's login (1045)");
    expect(r.stderr).toContain('agent "edge-rsa"');
  });

  it('a key the target does not accept is a clear ssh error naming the agent', async () => {
    const r = await sshExec(t.sshPort, 'alice@box-unknown-key', token, 'whoami');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("the target refused the gateway's login");
    expect(r.stderr).toContain('agent "edge"');
  });

  it('an SSH password on the agent is refused, saying why', async () => {
    const r = await sshExec(t.sshPort, 'alice@box-password', token, 'whoami');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('public-key authentication');
  });

  it("the gateway's store, vault and recordings hold none of the agent's secrets", async () => {
    for (const name of ['maria-native', 'maria-ed', 'box']) {
      const c = await t.gw.core.connections.byName(name);
      expect(c).toMatchObject({ credentials: 'agent', sealedSecret: null });
    }
    // Every byte the gateway wrote (SQLite store, recordings, host keys) — none holds a secret or the key.
    // The keys' secret part (the ed25519 seed, the RSA private exponent) in base64url, base64 and hex.
    const secretOf = (pem: string) => {
      const k = ssh2.utils.parseKey(pem) as ParsedKey;
      const d = Buffer.from(createPrivateKey(k.getPrivatePEM()).export({ format: 'jwk' }).d!, 'base64url');
      return [d.toString('base64url').slice(0, 40), d.toString('base64').slice(0, 40), d.toString('hex').slice(0, 40)];
    };
    const secrets = [nativePw, edPw, sshd.password, ...secretOf(good.private), ...secretOf(rsa.private)];
    const files = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : [join(d, f)]));
    const all = files(t.dataDir);
    expect(all.length).toBeGreaterThan(0);
    for (const f of all) {
      const text = readFileSync(f).toString('latin1');
      for (const s of secrets) expect(text.includes(s), `${f} holds a secret`).toBe(false);
    }
  });
});
