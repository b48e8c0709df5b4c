import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';
import { mariadb } from './client.ts';
import { RawClient } from './raw.ts';

/** Setup and checks straight on the machine's MariaDB, bypassing the gateway. */
function direct(sql: string): string {
  return execFileSync('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', '3306', '-u', 'root', '-D', 'test', '--batch', '-N', '-e', sql], { encoding: 'utf8' });
}

const suffix = randomBytes(4).toString('hex');
const table = `warden_mysql_${suffix}`;
const pwUser = `warden_u_${suffix}`;
const pwSecret = `pw-${randomBytes(6).toString('hex')}`;

describe('MySQL protocol through the real mariadb CLI', () => {
  let t: TestGatewayWithMysql;
  let token: string;

  beforeAll(async () => {
    // The MySQL SQL classifier is not in the policy yet: relay tests run under an allow-all engine,
    // except statements mentioning "drop", which it blocks (to test the block path end to end).
    t = await startTestGateway({
      policy: {
        decide: async (_s, r) => {
          if (r.kind === 'sql' && /drop/i.test(r.text)) return { effect: 'block', rules: [{ id: 'test:no-drop', reason: 'no drops' }], message: 'blocked by rule test:no-drop: dropping is not allowed' };
          if (r.kind === 'sql' && /secret/i.test(r.text)) return { effect: 'mask', rules: [{ id: 'test:mask', reason: 'secrets' }], masks: { columns: [], detectors: [{ name: 'email', strategy: 'redact', rule: 'test:mask' }], exempted: [] } };
          return { effect: 'allow', rules: [] };
        },
      },
    });
    token = await t.user('alice');
    await t.connection('maria', { type: 'mysql' });
    await t.connection('maria-down', { type: 'mysql', port: await freePort() });
    await t.connection('maria-pw', { type: 'mysql', username: pwUser, password: pwSecret });
    await t.connection('maria-badpw', { type: 'mysql', username: pwUser, password: 'wrong' });
    direct(`create table ${table} (id int primary key, name varchar(20)); insert into ${table} values (1, 'ada'), (2, null)`);
    direct(`create user '${pwUser}'@'%' identified by '${pwSecret}'; grant select on test.* to '${pwUser}'@'%'`);
  }, 60_000);

  afterAll(async () => {
    direct(`drop table if exists ${table}; drop user if exists '${pwUser}'@'%'`);
    await t?.stop();
  });

  it('runs queries and records the session with its rows', async () => {
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria', ['-e', `select id, name from ${table} order by id`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('id\tname\n1\tada\n2\tNULL\n');
    const { session, events } = await endedSession(t, 'alice', 'maria');
    expect(session).toMatchObject({ protocol: 'mysql', connectionName: 'maria', endReason: 'client_closed' });
    expect(session.statements).toBeGreaterThanOrEqual(1);
    const st = events.find((e): e is StatementEvent => e.type === 'statement' && e.text.includes(table))!;
    expect(st).toMatchObject({ columns: ['id', 'name'], rows: [['1', 'ada'], ['2', null]], rowCount: 2, rowsTruncated: false, verdict: { effect: 'allow' } });
    expect(events[0]).toMatchObject({ type: 'session_start', protocol: 'mysql' });
    expect(events.at(-1)).toMatchObject({ type: 'session_end', reason: 'client_closed' });
  });

  it('relays multi-statement queries with several result sets and affected rows', async () => {
    // One COM_QUERY holding three statements: the CLI splits on its delimiter, so it is changed.
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria', ['--delimiter=$$'], { input: `select 1 as a; update ${table} set name = 'bob' where id = 2; select 'x' as b, 'y' as c $$\n` });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('a\n1\nb\tc\nx\ty\n');
    const { events } = await endedSession(t, 'alice', 'maria');
    const st = events.find((e): e is StatementEvent => e.type === 'statement' && e.text.startsWith('select 1 as a'))!;
    expect(st.rows).toEqual([['1'], ['x', 'y']]);
    expect(st.columns).toEqual(['b', 'c']);
    expect(st.text).toContain("select 'x' as b"); // one COM_QUERY, three results
    expect(st.rowsAffected).toBe(1);
    expect(st.error).toBeUndefined();
  });

  it('streams large results through; the recording keeps rows up to the cap', async () => {
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria', ['-N', '-e', "select seq, repeat('x', 200) from seq_1_to_20000"]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(20000);
    expect(lines[19999]).toBe(`20000\t${'x'.repeat(200)}`);
    const { events } = await endedSession(t, 'alice', 'maria');
    const st = events.find((e): e is StatementEvent => e.type === 'statement' && e.text.includes('seq_1_to_20000'))!;
    expect(st).toMatchObject({ rowCount: 20000, rowsTruncated: true });
    expect(st.rows).toHaveLength(t.gw.core.config.recording.maxRowsPerStatement);
  });

  it('masks text rows under a mask verdict (more in masking.e2e.test.ts)', async () => {
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria', ['-e', "select 'a@b.example' as secret, 'kept' as k"]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('secret\tk\n****\tkept\n');
  });

  it('selects a schema with <connection>/<schema> and switches with USE (COM_INIT_DB)', async () => {
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria/information_schema', ['-N', '-e', 'select database(); use test; select database()']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('information_schema\ntest\n');
  });

  it("passes the target's errors with their codes", async () => {
    const missing = await mariadb(t.mysqlPort, 'alice', token, 'maria', ['-e', 'select * from warden_no_such_table']);
    expect(missing.stderr).toMatch(/ERROR 1146 \(42S02\).*warden_no_such_table/);
    const syntax = await mariadb(t.mysqlPort, 'alice', token, 'maria', ['-e', 'selec 1']);
    expect(syntax.stderr).toMatch(/ERROR 1064 \(42000\)/);
    const { events } = await endedSession(t, 'alice', 'maria');
    expect(events.find((e) => e.type === 'statement')).toMatchObject({ error: { code: '1064' } });
  });

  it('blocks what policy blocks with ERR 1142; the target never sees it', async () => {
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria', ['-e', `drop table ${table}`]);
    expect(r.stderr).toMatch(/ERROR 1142 \(42000\).*test:no-drop/);
    expect(direct(`select count(*) from ${table}`).trim()).toBe('2');
    const { events } = await endedSession(t, 'alice', 'maria');
    expect(events.find((e) => e.type === 'statement')).toMatchObject({ text: `drop table ${table}`, error: { code: '1142' }, verdict: { effect: 'block', rules: ['test:no-drop'] } });
    // The session goes on after a block.
    const after = await mariadb(t.mysqlPort, 'alice', token, 'maria', ['-N', '-e', `drop table ${table}; select 7`, '--force']);
    expect(after.stdout).toBe('7\n');
  });

  it('offers TLS with the gateway certificate; login and errors travel inside it', async () => {
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria', ['--ssl', '-e', 'status']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/SSL:\s+Cipher in use is \S+/);
    const bad = await mariadb(t.mysqlPort, 'alice', 'wdn_nope_nope', 'maria', ['--ssl', '-e', 'select 1']);
    expect(bad.stderr).toMatch(/ERROR 1045 \(28000\)/);
    // SSLRequest and ClientHello in one segment: the early bytes reach TLS.
    const hurried = await RawClient.open(t.mysqlPort);
    expect((await hurried.loginTls('alice', token, 'maria'))[0]).toBe(0x00);
    expect((await hurried.command(Buffer.from([0x0e])))[0]![0]).toBe(0x00);
    hurried.destroy();
    await hurried.closed;
  });

  it('refuses a bad token with 1045, an unknown connection with 1049, a down target with 1105', async () => {
    const bad = await mariadb(t.mysqlPort, 'alice', 'wdn_nope_nope', 'maria', ['-e', 'select 1']);
    expect(bad.stderr).toMatch(/ERROR 1045 \(28000\)/);
    const unknown = await mariadb(t.mysqlPort, 'alice', token, 'no-such-connection', ['-e', 'select 1']);
    expect(unknown.stderr).toMatch(/ERROR 1049 \(42000\).*no-such-connection/);
    const down = await mariadb(t.mysqlPort, 'alice', token, 'maria-down', ['-e', 'select 1']);
    expect(down.stderr).toMatch(/ERROR 1105 \(HY000\).*maria-down/);
    const noDb = await mariadb(t.mysqlPort, 'alice', token, '', ['-e', 'select 1']);
    expect(noDb.stderr).toMatch(/ERROR 1046 \(3D000\)/);
  });

  it('logs into the target with a vaulted password (mysql_native_password)', async () => {
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria-pw', ['-N', '-e', 'select current_user()']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${pwUser}@%\n`);
    const wrong = await mariadb(t.mysqlPort, 'alice', token, 'maria-badpw', ['-e', 'select 1']);
    expect(wrong.stderr).toMatch(/ERROR 1105 \(HY000\).*refused the gateway's login/);
    expect(wrong.stderr).not.toContain(pwUser);
  });

  it('answers COM_PING and refuses commands it does not relay', async () => {
    const c = await RawClient.open(t.mysqlPort);
    expect((await c.login('alice', token, 'maria'))[0]).toBe(0x00);
    expect((await c.command(Buffer.from([0x0e])))[0]![0]).toBe(0x00);
    const refused = await c.command(Buffer.from([0x0d])); // COM_DEBUG
    expect(refused[0]![0]).toBe(0xff);
    expect(refused[0]!.readUInt16LE(1)).toBe(1047);
    expect((await c.command(Buffer.from([0x0e])))[0]![0]).toBe(0x00);
    c.socket.end(Buffer.from([1, 0, 0, 0, 1])); // COM_QUIT
    await c.closed;
  });

  it('relays prepared statements: policy at COM_STMT_PREPARE, binary rows counted', async () => {
    const c = await RawClient.open(t.mysqlPort);
    expect((await c.login('alice', token, 'maria'))[0]).toBe(0x00);
    const prep = await c.command(Buffer.concat([Buffer.from([0x16]), Buffer.from(`select id, name from ${table} where id >= ?`)]));
    expect(prep[0]![0]).toBe(0x00);
    const id = prep[0]!.readUInt32LE(1);
    // COM_STMT_EXECUTE: id, no cursor, 1 iteration, null bitmap, types bound, LONG, value 1.
    const exec = Buffer.alloc(1 + 4 + 1 + 4 + 1 + 1 + 2 + 4);
    exec[0] = 0x17;
    exec.writeUInt32LE(id, 1);
    exec.writeUInt32LE(1, 6);
    exec[11] = 1;
    exec[12] = 0x03;
    exec.writeInt32LE(1, 14);
    const rows = await c.command(exec);
    expect(rows.filter((p) => p[0] === 0x00 && p.length > 1 && p.length < 40)).toHaveLength(2); // two binary rows
    const blocked = await c.command(Buffer.concat([Buffer.from([0x16]), Buffer.from(`drop table ${table}`)]));
    expect(blocked[0]!.readUInt16LE(1)).toBe(1142);
    c.socket.end(Buffer.from([1, 0, 0, 0, 1]));
    await c.closed;
    expect(direct(`select count(*) from ${table}`).trim()).toBe('2');
    const { events } = await endedSession(t, 'alice', 'maria');
    const statements = events.filter((e): e is StatementEvent => e.type === 'statement');
    expect(statements[0]).toMatchObject({ prepared: String(id), text: `select id, name from ${table} where id >= ?`, rowCount: 2, columns: ['id', 'name'] });
    expect(statements[1]).toMatchObject({ text: `drop table ${table}`, error: { code: '1142' } });
  });

  it('accepts --enable-cleartext-plugin (needed by Oracle clients; obsolete and ignored by MariaDB)', async () => {
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria', ['--enable-cleartext-plugin', '-N', '-e', 'select 5']);
    expect(r.stdout).toMatch(/(^|\n)5\n$/);
  });

  it('a killed session gets ERR 1927 and is recorded as ended', async () => {
    const c = await RawClient.open(t.mysqlPort);
    expect((await c.login('bob-less', token, 'maria'))[0]).toBe(0xff); // token of alice under another name
    const k = await RawClient.open(t.mysqlPort);
    expect((await k.login('alice', token, 'maria'))[0]).toBe(0x00);
    // Earlier tests' sessions end asynchronously on the gateway: wait (bounded) until only this one is live.
    let live = t.gw.core.live.list().filter((s) => s.protocol === 'mysql');
    for (let i = 0; i < 200 && live.length !== 1; i++) {
      await new Promise((r) => setTimeout(r, 25));
      live = t.gw.core.live.list().filter((s) => s.protocol === 'mysql');
    }
    expect(live).toHaveLength(1);
    expect(t.gw.core.live.kill(live[0]!.id, 'killed by an admin')).toBe(true);
    const bye = (await k.reader.next(AbortSignal.timeout(5000))).payload;
    expect(bye.readUInt16LE(1)).toBe(1927);
    await k.closed;
    const { session } = await endedSession(t, 'alice', 'maria');
    expect(session.endReason).toContain('killed by an admin');
  });

  it('closes only the socket that sends garbage', async () => {
    const bystander = await RawClient.open(t.mysqlPort);
    expect((await bystander.login('alice', token, 'maria'))[0]).toBe(0x00);

    const early = await RawClient.open(t.mysqlPort);
    early.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await early.closed;

    const late = await RawClient.open(t.mysqlPort);
    expect((await late.login('alice', token, 'maria'))[0]).toBe(0x00);
    late.socket.write(Buffer.from([3, 0, 0, 9, 0x03, 0x31, 0x32])); // sequence id 9: not a new command
    await late.closed;

    expect((await bystander.command(Buffer.from([0x0e])))[0]![0]).toBe(0x00);
    const r = await mariadb(t.mysqlPort, 'alice', token, 'maria', ['-N', '-e', 'select 42']);
    expect(r.stdout).toBe('42\n');
    bystander.destroy();
  });
});
