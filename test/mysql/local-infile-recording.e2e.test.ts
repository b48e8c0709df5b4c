import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';
import { mariadb } from './client.ts';

/**
 * The file a client sends for LOAD DATA LOCAL INFILE is recorded on the statement: its bytes as
 * they passed, their SHA-256 and the name the target asked for (`upload`), also when the client
 * stops half-way (the statement's `error` then says there was no answer).
 */
function direct(sql: string): string {
  return execFileSync('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', '3306', '-u', 'root', '-D', 'test', '--batch', '-N', '-e', sql], { encoding: 'utf8' });
}

const T = `w_upload_${randomBytes(4).toString('hex')}`;
const rules = [
  { id: 'allow-local-infile', match: { dangerous: ['LOAD DATA LOCAL INFILE'] }, effect: 'allow' },
  { id: 'allow-all', match: {}, effect: 'allow' },
];
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('LOAD DATA LOCAL INFILE recording', () => {
  let t: TestGatewayWithMysql;
  let token: string;
  const dir = mkdtempSync(join(tmpdir(), 'warden-infile-upload-'));

  beforeAll(async () => {
    direct(`create table ${T} (id int primary key, name varchar(40))`);
    t = await startTestGateway({ rules });
    token = await t.user('ulla');
    await t.connection('loader', { type: 'mysql' });
  }, 60_000);

  afterAll(async () => {
    direct(`drop table if exists ${T}`);
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function loadStatement(): Promise<StatementEvent> {
    const { events } = await endedSession(t, 'ulla');
    const load = events.find((e): e is StatementEvent => e.type === 'statement' && e.text.startsWith('LOAD DATA'));
    expect(load).toBeDefined();
    return load!;
  }

  it('records the bytes, SHA-256 and name of a file the mariadb CLI sends (--local-infile)', async () => {
    // Large enough to go as several packets.
    const content = Array.from({ length: 20_000 }, (_, i) => `${i},name ${i} é\n`).join('');
    const file = join(dir, 'rows.csv');
    writeFileSync(file, content);
    const r = await mariadb(t.mysqlPort, 'ulla', token, 'loader', ['--local-infile=1', '-e', `LOAD DATA LOCAL INFILE '${file}' INTO TABLE ${T} CHARACTER SET utf8mb4 FIELDS TERMINATED BY ','`]);
    expect(r.stderr).toBe('');
    expect(direct(`select count(*) from ${T}`).trim()).toBe('20000');
    const load = await loadStatement();
    expect(load.upload).toEqual({ bytes: Buffer.byteLength(content), sha256: sha256(content), name: file });
    expect(load.rowsAffected).toBe(20000);
    expect(load.error).toBeUndefined();
  });

  it('records what passed of a file the client stopped sending half-way', async () => {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: t.mysqlPort, user: 'ulla', database: 'loader', authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) } });
    c.on('error', () => undefined);
    const sent = Buffer.from('900001,half\n900002,way\n');
    // A stream that sends a part of the file and never ends: the client then goes away.
    const stream = new Readable({ read() {} });
    stream.push(sent);
    const load = c.query({ sql: `LOAD DATA LOCAL INFILE 'never-ends.csv' INTO TABLE ${T} FIELDS TERMINATED BY ','`, infileStreamFactory: () => stream });
    load.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    c.destroy();
    const recorded = await loadStatement();
    expect(recorded.upload).toEqual({ bytes: sent.length, sha256: sha256(sent), name: 'never-ends.csv' });
    expect(recorded.error?.message).toMatch(/^no answer/);
  });
});
