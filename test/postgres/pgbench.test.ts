import { execFile } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway, realPg } from '../helpers/gateway.ts';

// pgbench through the gateway: initialisation (COPY, DDL, VACUUM) and a prepared-mode load.
let t: TestGateway;
let token: string;
const database = `warden_pgbench_${process.pid}`;
const admin = () => new pg.Client({ ...realPg, database: 'postgres' });

beforeAll(async () => {
  const c = admin();
  await c.connect();
  await c.query(`drop database if exists ${database}`);
  await c.query(`create database ${database}`);
  await c.end();
  t = await startTestGateway();
  token = await t.user('erin');
  await t.connection('bench', { database });
});
afterAll(async () => {
  await t?.stop();
  const c = admin();
  await c.connect();
  await c.query(`drop database if exists ${database} with (force)`);
  await c.end();
});

function pgbench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'pgbench',
      ['-h', '127.0.0.1', '-p', String(t.pgPort), '-U', 'erin', ...args, 'bench'],
      { env: { ...process.env, PGPASSWORD: token }, encoding: 'utf8', timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('pgbench through the gateway', () => {
  it('initialises and runs a prepared select-only load', async () => {
    const init = await pgbench(['-i', '-s', '1']);
    expect(init.stderr).toContain('done in');
    expect(init.code).toBe(0);
    const run = await pgbench(['-S', '-T', '5', '-M', 'prepared', '-c', '2', '-j', '2']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/number of failed transactions: 0/);
    const tx = Number(/number of transactions actually processed: (\d+)/.exec(run.stdout)?.[1]);
    expect(tx).toBeGreaterThan(0);
    const sessions = await t.gw.core.sessions.list({ userName: 'erin', limit: 10 });
    expect(sessions.length).toBeGreaterThanOrEqual(3);
  });
});
