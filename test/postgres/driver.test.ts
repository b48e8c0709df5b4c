import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packedMark } from '../../src/core/recording/packed.ts';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { endedSession, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

// The `pg` driver (extended protocol, prepared statements) through a whole gateway.
let t: TestGateway;
let token: string;

beforeAll(async () => {
  t = await startTestGateway();
  token = await t.user('bob');
  await t.connection('pg');
});
afterAll(() => t.stop());

function client(over: Partial<pg.ClientConfig> = {}) {
  return new pg.Client({ host: '127.0.0.1', port: t.pgPort, user: 'bob', password: token, database: 'pg', ...over });
}

describe('pg driver through the gateway', () => {
  it('runs parameterised and named prepared statements and records their parameters', async () => {
    const c = client();
    await c.connect();
    const a = await c.query('select $1::int + $2::int as sum, $3::text as who', [2, 3, 'bob']);
    expect(a.rows).toEqual([{ sum: 5, who: 'bob' }]);
    for (const n of [1, 2, 3]) {
      const r = await c.query({ name: 'square', text: 'select $1::int * $1::int as sq', values: [n] });
      expect(r.rows[0].sq).toBe(n * n);
    }
    await expect(c.query('select $1::int / 0', [1])).rejects.toMatchObject({ code: '22012' });
    expect((await c.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    await c.end();

    const { session, events } = await endedSession(t, 'bob');
    const stmts = events.flatMap((e) => (e.type === 'statement' ? [e] : []));
    // The executions without an error were written as packed records (their DataRows as they passed), read back above as events.
    const file = readFileSync(join(t.gw.core.config.recording.dir, `${session.id}.jsonl`));
    expect(file.includes(packedMark)).toBe(true);
    // Only the execution that failed is a JSON line (a line may follow a packed record on the same line of the file).
    expect(file.toString('latin1').split('{"type":"statement"').slice(1).map((l) => (JSON.parse(`{"type":"statement"${l.split('\n')[0]}`) as StatementEvent).text)).toEqual(['select $1::int / 0']);
    expect(stmts[0]).toMatchObject({ text: 'select $1::int + $2::int as sum, $3::text as who', params: ['2', '3', 'bob'], rows: [['5', 'bob']], commandTag: 'SELECT 1' });
    const squares = stmts.filter((e) => e.prepared === 'square');
    expect(squares.map((e) => e.params)).toEqual([['1'], ['2'], ['3']]);
    expect(squares.map((e) => e.rows)).toEqual([[['1']], [['4']], [['9']]]);
    expect(stmts.find((e) => e.text === 'select $1::int / 0')?.error?.code).toBe('22012');
  });

  it('gives login errors their SQLSTATE: 28P01, 3D000, 08006', async () => {
    await expect(client({ password: 'wrong' }).connect()).rejects.toMatchObject({ code: '28P01' });
    await expect(client({ database: 'nope' }).connect()).rejects.toMatchObject({ code: '3D000' });
    await t.connection('dead', { port: 1 });
    const err = await client({ database: 'dead' }).connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '08006' });
    expect(String((err as Error).message)).toMatch(/cannot reach the target of connection "dead"/);
  });

  it('maps the client cancel key to the target: only the owner can cancel', async () => {
    const c = client();
    await c.connect();
    const keys = c as unknown as { processID: number; secretKey: number };
    const running = c.query('select pg_sleep(30)').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    // A wrong key cancels nothing…
    await sendCancel(keys.processID, keys.secretKey ^ 1);
    await new Promise((r) => setTimeout(r, 300));
    // …the right one cancels this query.
    await sendCancel(keys.processID, keys.secretKey);
    expect(await running).toMatchObject({ code: '57014' });
    expect((await c.query('select 2 as still')).rows).toEqual([{ still: 2 }]);
    await c.end();
  });

  it('lets pg_cancel_backend from another session cancel a query', async () => {
    const a = client({ application_name: 'warden-victim' });
    const b = client();
    await a.connect();
    await b.connect();
    const running = a.query('select pg_sleep(30)').catch((e: unknown) => e);
    let cancelled = false;
    for (let i = 0; i < 50 && !cancelled; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await b.query("select pg_cancel_backend(pid) as ok from pg_stat_activity where application_name = 'warden-victim' and query like 'select pg_sleep%'");
      cancelled = r.rows.some((row) => row.ok === true);
    }
    expect(await running).toMatchObject({ code: '57014' });
    await a.end();
    await b.end();
  });
});

describe('asynchronous messages', () => {
  it('relays NOTICE, NOTIFY and ParameterStatus', async () => {
    const listener = client();
    const notifier = client();
    await listener.connect();
    await notifier.connect();
    const notices: string[] = [];
    listener.on('notice', (n) => notices.push(n.message ?? ''));
    const got = new Promise<pg.Notification>((resolve) => listener.on('notification', resolve));
    await listener.query('listen warden_channel');
    await listener.query("do $$ begin raise notice 'hello from the target'; end $$");
    await notifier.query("select pg_notify('warden_channel', 'payload-1')");
    expect(await got).toMatchObject({ channel: 'warden_channel', payload: 'payload-1' });
    expect(notices).toContain('hello from the target');
    // ParameterStatus: the target reports a changed setting, and the message reaches the client.
    const statuses: { parameterName: string; parameterValue: string }[] = [];
    (listener as unknown as { connection: NodeJS.EventEmitter }).connection.on('parameterStatus', (m) => statuses.push(m));
    await listener.query("set application_name = 'renamed-through-warden'");
    expect(statuses).toContainEqual(expect.objectContaining({ parameterName: 'application_name', parameterValue: 'renamed-through-warden' }));
    await listener.end();
    await notifier.end();
  });
});

describe('metrics', () => {
  it('counts sessions, statements and bytes in Prometheus format', async () => {
    const c = client();
    await c.connect();
    await c.query('select 1');
    await c.end();
    const text = await (await fetch(`${t.apiUrl}/metrics`)).text();
    expect(text).toMatch(/^warden_sessions_total\{protocol="postgres"\} [1-9]/m);
    expect(text).toMatch(/^warden_statements_total\{protocol="postgres"\} [1-9]/m);
    expect(text).toMatch(/^warden_bytes_total\{protocol="postgres",direction="to_client"\} [1-9]/m);
    expect(text).toMatch(/^warden_statement_duration_seconds_count\{protocol="postgres"\} [1-9]/m);
    expect(text).toMatch(/^warden_errors_total\{protocol="postgres",kind="access_denied"\} [1-9]/m);
  });
});

async function sendCancel(processId: number, secretKey: number) {
  const { connect } = await import('node:net');
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(80877102, 4);
  packet.writeInt32BE(processId, 8);
  packet.writeInt32BE(secretKey, 12);
  await new Promise<void>((resolve) => {
    const s = connect(t.pgPort, '127.0.0.1', () => s.end(packet));
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}
