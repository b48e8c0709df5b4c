import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { okPayload } from '../../src/protocols/mysql/codec/generic.ts';
import { buildGreeting, cap, gatewayCapabilities, newScramble } from '../../src/protocols/mysql/codec/handshake.ts';
import { packet, PacketFramer } from '../../src/protocols/mysql/codec/packet.ts';
import { startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { mariadb } from './client.ts';

/**
 * LOAD DATA LOCAL INFILE through the gateway. Off unless a rule names it
 * (`match.dangerous: ['LOAD DATA LOCAL INFILE']`): a generic allow does not
 * reach it. When allowed, the file comes from the client (mysql2's
 * infileStreamFactory, the mariadb CLI's --local-infile) and is relayed to
 * the machine's MariaDB. A hostile target (a fake server this test starts)
 * that asks for a file the statement did not name gets nothing: the client
 * is never asked, and the session ends with ERR 1148.
 */
function direct(sql: string): string {
  return execFileSync('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', '3306', '-u', 'root', '-D', 'test', '--batch', '-N', '-e', sql], { encoding: 'utf8' });
}

const T = `w_infile_${randomBytes(4).toString('hex')}`;
const rules = [
  { id: 'allow-local-infile', match: { connections: ['loader', 'hostile'], dangerous: ['LOAD DATA LOCAL INFILE'] }, effect: 'allow' },
  { id: 'queue-writes', match: { connections: ['plain'], classes: ['write'] }, effect: 'review', review: { mode: 'queue' } },
  { id: 'allow-all', match: {}, effect: 'allow' },
];

/** A hostile MySQL server: accepts any login, answers every query with a LOCAL INFILE request for `/etc/passwd`; keeps what it receives after. */
function startHostileTarget(): Promise<{ server: Server; port: number; afterRequest: Buffer[] }> {
  const afterRequest: Buffer[] = [];
  const server = createServer((s: Socket) => {
    s.on('error', () => undefined);
    const framer = new PacketFramer(1 << 20);
    let phase: 'login' | 'command' | 'file' = 'login';
    s.write(packet(0, buildGreeting({ serverVersion: '10.11.0-hostile', connectionId: 7, capabilities: gatewayCapabilities | cap.localFiles, charset: 45, status: 2, scramble: newScramble(), authPlugin: 'mysql_native_password' })));
    s.on('data', (chunk: Buffer) => {
      for (const p of framer.push(chunk)) {
        if (phase === 'login') {
          s.write(packet(p.seq + 1, okPayload({ status: 2 })));
          phase = 'command';
        } else if (phase === 'command' && p.payload[0] === 0x03) {
          s.write(packet(1, Buffer.concat([Buffer.from([0xfb]), Buffer.from('/etc/passwd')])));
          phase = 'file';
        } else if (phase === 'file') afterRequest.push(p.payload);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, afterRequest })));
}

describe('LOAD DATA LOCAL INFILE', () => {
  let t: TestGatewayWithMysql;
  let token: string;
  let hostile: Awaited<ReturnType<typeof startHostileTarget>>;
  const dir = mkdtempSync(join(tmpdir(), 'warden-infile-'));
  const connect = (database: string) =>
    mysql.createConnection({ host: '127.0.0.1', port: t.mysqlPort, user: 'lou', database, authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) } });
  const rows = () => direct(`select id, name from ${T} order by id`);

  beforeAll(async () => {
    direct(`create table ${T} (id int primary key, name varchar(20))`);
    hostile = await startHostileTarget();
    t = await startTestGateway({ rules });
    token = await t.user('lou');
    await t.connection('loader', { type: 'mysql' });
    await t.connection('plain', { type: 'mysql' });
    await t.connection('hostile', { type: 'mysql', port: hostile.port });
  }, 60_000);

  afterAll(async () => {
    direct(`drop table if exists ${T}`);
    await t?.stop();
    await new Promise((r) => hostile?.server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is off unless a rule names it: a generic allow does not reach it', async () => {
    const c = await connect('plain');
    let asked = false;
    const load = c.query({ sql: `LOAD DATA LOCAL INFILE 'rows.csv' INTO TABLE ${T} FIELDS TERMINATED BY ','`, infileStreamFactory: () => ((asked = true), Readable.from([Buffer.from('9,x\n')])) });
    await expect(load).rejects.toMatchObject({ errno: 1142, message: expect.stringContaining('queue-writes') });
    expect(asked).toBe(false);
    expect(rows()).toBe('');
    await c.end();
  });

  it('relays the file the client sends (mysql2 infileStreamFactory) when a rule allows it', async () => {
    const c = await connect('loader');
    const asked: string[] = [];
    const [res] = await c.query({
      sql: `LOAD DATA LOCAL INFILE 'rows.csv' INTO TABLE ${T} FIELDS TERMINATED BY ','`,
      infileStreamFactory: (path: string) => (asked.push(path), Readable.from([Buffer.from('1,ada\n'), Buffer.from('2,bob\n')])),
    });
    expect(res).toMatchObject({ affectedRows: 2 });
    expect(asked).toEqual(['rows.csv']);
    expect(rows()).toBe('1\tada\n2\tbob\n');
    // The connection goes on as usual after the file.
    const [[one]] = (await c.query('select 1 as x')) as unknown as [{ x: number }[]];
    expect(one).toEqual({ x: 1 });
    await c.end();
  });

  it('relays a file read by the mariadb CLI (--local-infile)', async () => {
    const file = join(dir, 'more.csv');
    writeFileSync(file, '3,cy\n4,dee\n');
    const r = await mariadb(t.mysqlPort, 'lou', token, 'loader', ['--local-infile=1', '-e', `LOAD DATA LOCAL INFILE '${file}' INTO TABLE ${T} FIELDS TERMINATED BY ','`]);
    expect(r.stderr).toBe('');
    expect(rows()).toBe('1\tada\n2\tbob\n3\tcy\n4\tdee\n');
  });

  it('refuses a target that asks for a file the statement did not name: the client is never asked, the target gets nothing', async () => {
    const c = await connect('hostile');
    c.on('error', () => undefined);
    let asked = false;
    const load = c.query({ sql: `LOAD DATA LOCAL INFILE 'rows.csv' INTO TABLE ${T}`, infileStreamFactory: () => ((asked = true), Readable.from([Buffer.from('secret\n')])) });
    await expect(load).rejects.toMatchObject({ errno: 1148, message: expect.stringContaining('/etc/passwd') });
    expect(asked).toBe(false);
    expect(hostile.afterRequest).toEqual([]);
  });

  it('refuses a LOCAL INFILE request to a plain query', async () => {
    const c = await connect('hostile');
    c.on('error', () => undefined);
    let asked = false;
    await expect(c.query({ sql: 'select 1', infileStreamFactory: () => ((asked = true), Readable.from([Buffer.from('secret\n')])) })).rejects.toMatchObject({ errno: 1148 });
    expect(asked).toBe(false);
    expect(hostile.afterRequest).toEqual([]);
  });
});
