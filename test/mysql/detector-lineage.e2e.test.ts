import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGatewayWithMysql } from '../helpers/gateway.ts';

/**
 * A mask rule with content detectors and no column rule, through mysql2: the
 * statement's lineage still tells the detectors which columns are computed
 * (lenient IBAN and bare-SSN detectors) and which share a source column (their
 * values are read joined), for text queries and for prepared statements'
 * binary rows alike — as with a plan that has column rules too.
 */
function direct(sql: string): string {
  return execFileSync('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', '3306', '-u', 'root', '-D', 'test', '--batch', '-N', '-e', sql], { encoding: 'utf8' });
}

const D = `w_h3_det_${randomBytes(4).toString('hex')}`;
const rules = [{ id: 'detect-only', match: {}, effect: 'mask', mask: { detectors: 'all' } }];
const split = `select substr(ssn, 1, 6) as a, name, substr(ssn, 7) as b, lower(iban) as i, replace(ssn, '-', '') as s from ${D} where id = ?`;

describe('MySQL detector-only masking with lineage (mysql2)', () => {
  let t: TestGatewayWithMysql;
  let token: string;
  let c: mysql.Connection | undefined;

  beforeAll(async () => {
    direct(`create table ${D} (id int primary key, name varchar(20), ssn varchar(11), iban varchar(34), a varchar(8), b varchar(8))`);
    direct(`insert into ${D} values (1, 'Alice', '536-22-8419', 'GB82WEST12345698765432', '41111111', '11111111')`);
    t = await startTestGateway({ rules });
    token = await t.user('dora');
    await t.connection('maria', { type: 'mysql' });
    c = await mysql.createConnection({
      host: '127.0.0.1',
      port: t.mysqlPort,
      user: 'dora',
      database: 'maria',
      authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) },
    });
  }, 60_000);

  afterAll(async () => {
    await c?.end().catch(() => undefined);
    direct(`drop table if exists ${D}`);
    await t?.stop();
  });

  it('masks values split across columns of one source, and transformed ones, in text rows', async () => {
    const [rows] = await c!.query({ sql: split.replace('?', '1'), rowsAsArray: true });
    expect(rows).toEqual([['****', 'Alice', '****', '****', '****']]);
  });

  it('masks them in binary rows of a prepared statement too', async () => {
    const [rows] = await c!.execute({ sql: split, rowsAsArray: true }, [1]);
    expect(rows).toEqual([['****', 'Alice', '****', '****', '****']]);
  });

  it('leaves unrelated and plain columns alone', async () => {
    const [rows] = await c!.query({ sql: `select a, b, substr(a, 1) as a2, substr(b, 1) as b2, lower(name) as l from ${D}`, rowsAsArray: true });
    expect(rows).toEqual([['41111111', '11111111', '41111111', '11111111', 'alice']]);
  });
});
