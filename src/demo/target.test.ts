import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ibanValid, luhnValid } from './checksums.ts';
import { seedDemo } from './seed.ts';
import { startDemoTarget, type DemoTarget } from './target.ts';

const run = promisify(execFile);

function psql(target: DemoTarget, ...args: string[]) {
  return run('psql', ['-X', '-h', target.host, '-p', String(target.port), '-U', target.user, '-d', target.database, '-v', 'ON_ERROR_STOP=1', ...args], {
    env: { ...process.env, PGCONNECT_TIMEOUT: '10', PGSSLMODE: 'prefer' },
  });
}

async function client(target: DemoTarget): Promise<pg.Client> {
  const c = new pg.Client({ host: target.host, port: target.port, user: target.user, database: target.database });
  await c.connect();
  return c;
}

describe('demo target (PGlite over a socket)', () => {
  let target: DemoTarget;

  beforeAll(async () => {
    target = await startDemoTarget({ port: 0 });
    expect(await seedDemo(target.exec)).toEqual({ customers: 200, payments: 1000, supportTickets: 150 });
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('listens on a free loopback port', () => {
    expect(target.host).toBe('127.0.0.1');
    expect(target.port).toBeGreaterThan(0);
    expect(target.port).not.toBe(5432);
  });

  it('serves the seeded data to pg, with checksum-valid cards and IBANs', async () => {
    const c = await client(target);
    try {
      const counts = await c.query('select (select count(*) from customers)::int as customers, (select count(*) from payments)::int as payments, (select count(*) from support_tickets)::int as tickets');
      expect(counts.rows[0]).toEqual({ customers: 200, payments: 1000, tickets: 150 });
      const cards = await c.query<{ card_number: string }>('select card_number from payments');
      expect(cards.rows.every((r) => luhnValid(r.card_number))).toBe(true);
      const ibans = await c.query<{ iban: string }>('select iban from customers');
      expect(ibans.rows.every((r) => ibanValid(r.iban))).toBe(true);
      const orphans = await c.query('select count(*)::int as n from payments p left join customers c on c.id = p.customer_id where c.id is null');
      expect(orphans.rows[0]).toEqual({ n: 0 });
      // The identities moved past the seeded ids, so the demo user can insert.
      const inserted = await c.query("insert into support_tickets (customer_id, subject, body, status, created_at) values (1, 's', 'b', 'open', now()) returning id");
      expect(inserted.rows[0].id).toBe(151);
      await c.query('delete from support_tickets where id = 151');
    } finally {
      await c.end();
    }
  });

  it('speaks the extended protocol (parameters, named prepared statements)', async () => {
    const c = await client(target);
    try {
      const r = await c.query('select full_name, email from customers where id = $1 and email like $2', [1, '%@example.%']);
      expect(r.rows).toHaveLength(1);
      const named = { name: 'demo_by_status', text: 'select count(*)::int as n from payments where status = $1' };
      const captured = await c.query({ ...named, values: ['captured'] });
      const again = await c.query({ ...named, values: ['captured'] });
      expect(again.rows[0].n).toBe(captured.rows[0].n);
      expect(captured.rows[0].n).toBeGreaterThan(0);
    } finally {
      await c.end();
    }
  });

  it('serves several connections at once without mixing their transactions', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => client(target)));
    try {
      await clients[0]!.query('create table if not exists conc (k int primary key, who int)');
      await Promise.all(clients.map(async (c, who) => {
        await c.query('begin');
        for (let k = 0; k < 20; k++) await c.query('insert into conc values ($1, $2)', [who * 100 + k, who]);
        // Abort every other transaction: its rows must vanish, the others' must stay.
        await c.query(who % 2 === 0 ? 'commit' : 'rollback');
      }));
      const r = await clients[0]!.query('select who, count(*)::int as n from conc group by who order by who');
      expect(r.rows).toEqual([{ who: 0, n: 20 }, { who: 2, n: 20 }, { who: 4, n: 20 }]);
      const echoes = await Promise.all(clients.map((c, i) => c.query('select $1::int as v', [i])));
      expect(echoes.map((e) => e.rows[0].v)).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await clients[0]!.query('drop table if exists conc');
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('answers the real psql binary, \\d included', async () => {
    const { stdout } = await psql(target, '-At', '-c', 'select count(*) from customers');
    expect(stdout.trim()).toBe('200');
    const described = await psql(target, '-c', '\\d payments');
    expect(described.stdout).toContain('card_number');
    expect(described.stdout).toContain('customers(id)');
  });

  it('reports SQL errors to psql and stays up', async () => {
    await expect(psql(target, '-c', 'select * from no_such_table')).rejects.toMatchObject({ stderr: expect.stringContaining('does not exist') });
    const { stdout } = await psql(target, '-At', '-c', 'select 1');
    expect(stdout.trim()).toBe('1');
  });

  it('refuses COPY FROM STDIN with a clear error and keeps serving', async () => {
    await expect(run('bash', ['-c', `printf '1\\tx\\n' | psql -X -h ${target.host} -p ${target.port} -U postgres -v ON_ERROR_STOP=1 -c 'copy support_tickets (id, subject) from stdin'`]))
      .rejects.toMatchObject({ stderr: expect.stringContaining('COPY FROM STDIN is not supported by the embedded demo target') });
    const { stdout } = await psql(target, '-At', '-c', 'copy (select count(*) from support_tickets) to stdout');
    expect(stdout.trim()).toBe('150');
  });

  it('keeps the host event loop free while a query runs', async () => {
    const c = await client(target);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await c.query('select pg_sleep(0.3)');
    } finally {
      clearInterval(timer);
      await c.end();
    }
    // In-process PGlite would block the loop for the whole sleep (at most one tick).
    expect(ticks).toBeGreaterThan(3);
  });
});

describe('demo target lifecycle', () => {
  it('refuses a non-loopback host', async () => {
    await expect(startDemoTarget({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });

  it('fails clearly on a port in use', async () => {
    const first = await startDemoTarget({});
    try {
      await expect(startDemoTarget({ port: first.port })).rejects.toThrow(/could not start.*choose another port/);
    } finally {
      await first.stop();
    }
  });

  it('stop() closes open client connections, frees the port and is idempotent', async () => {
    const target = await startDemoTarget({});
    const c = await client(target);
    const ended = new Promise<void>((resolve) => c.once('end', () => resolve()));
    c.on('error', () => {}); // the server going away is the point of this test
    await c.query('begin');
    await target.stop();
    await target.stop();
    await ended;
    await expect(run('psql', ['-X', '-h', '127.0.0.1', '-p', String(target.port), '-U', 'postgres', '-c', 'select 1'])).rejects.toMatchObject({ stderr: expect.stringContaining('refused') });
    await expect(target.exec('select 1')).rejects.toThrow(/stopped/);
  });

  it('reports a PGlite crash and refuses clients instead of hanging', async () => {
    const crashes: string[] = [];
    const target = await startDemoTarget({ onCrash: (m) => crashes.push(m) });
    try {
      const c = await client(target);
      c.on('error', () => {});
      // COPY FROM STDIN through the extended protocol slips past the guard and kills PGlite.
      await c.query('create table x (a int)');
      await expect(c.query({ name: 'crash', text: 'copy x from stdin' })).rejects.toThrow();
      await expect(target.exec('select 1')).rejects.toThrow(/demo target stopped/);
      expect(crashes).toHaveLength(1);
      await expect(psql(target, '-c', 'select 1')).rejects.toMatchObject({ stderr: expect.stringMatching(/refused|closed/) });
    } finally {
      await target.stop();
    }
  });

  it('keeps its data in dataDir across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warden-demo-'));
    try {
      const first = await startDemoTarget({ dataDir: dir });
      await first.exec('create table kept (v text); insert into kept values ($$still here$$)');
      await first.stop();
      const second = await startDemoTarget({ dataDir: dir });
      try {
        const { stdout } = await psql(second, '-At', '-c', 'select v from kept');
        expect(stdout.trim()).toBe('still here');
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
