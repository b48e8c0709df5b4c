import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskRecordings } from '../../src/core/recording/disk.ts';
import type { RecordingEvent } from '../../src/core/recording/types.ts';
import { packedDecoders } from '../../src/gateway.ts';
import { testPgUrl } from '../../src/store/testing.ts';
import { psql } from '../helpers/psql.ts';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.ts';
import { startAgent, type AgentProcess } from './support.ts';

// Two `warden gateway` processes on one PostgreSQL store and one `warden agent`, all real
// processes. Replica A is killed with SIGKILL while sessions run through it; the agent's link to
// B carries the next sessions, and every session the store saw end has its whole recording.
describe('killing one gateway replica under load', () => {
  const schema = `warden_test_${randomBytes(6).toString('hex')}`;
  const recordings = mkdtempSync(join(tmpdir(), 'warden-failover-rec-'));
  const env = { WARDEN_MASTER_KEY: randomBytes(32).toString('base64') };
  const config = {
    logLevel: 'info',
    store: { url: testPgUrl, schema },
    // One recordings volume for both replicas, as a shared disk or object store would be.
    recording: { dir: recordings, flushIntervalMs: 50 },
    agents: { waitMs: 3000, heartbeatMs: 1000, replicaHeartbeatMs: 200 },
    policy: { rules: [{ id: 'test:allow-all', effect: 'allow', match: {} }] },
  };
  let a: GatewayProcess;
  let b: GatewayProcess;
  let agent: AgentProcess;
  let admin: string;
  let userToken: string;

  const api = async (gw: GatewayProcess, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gw.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : ((await res.json()) as unknown);
  };
  const links = async (gw: GatewayProcess) => ((await api(gw, 'GET', '/api/v1/agents')) as { name: string; links: unknown[] }[]).find((x) => x.name === 'edge')?.links.length ?? 0;
  const until = async (what: string, ok: () => Promise<boolean>) => {
    for (let i = 0; i < 400; i++) {
      if (await ok()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`never: ${what}`);
  };
  const client = (gw: GatewayProcess) => {
    const c = new pg.Client({ host: '127.0.0.1', port: gw.pgPort, user: 'alice', password: userToken, database: 'via-edge' });
    c.on('error', () => undefined);
    return c;
  };

  beforeAll(async () => {
    a = await startGatewayProcess(config, env);
    b = await startGatewayProcess(config, env);
    admin = a.bootstrapToken!;
    expect(admin).toMatch(/^wdn_/);
    expect(b.bootstrapToken).toBeUndefined(); // the store already had its admin
    const { token } = (await api(a, 'POST', '/api/v1/agents', { name: 'edge' })) as { token: string };
    await api(b, 'POST', '/api/v1/users', { name: 'alice', role: 'user' });
    userToken = ((await api(b, 'POST', '/api/v1/users/alice/tokens', { name: 'test' })) as { token: string }).token;
    await api(a, 'POST', '/api/v1/connections', { name: 'via-edge', type: 'postgres', host: '127.0.0.1', port: 5432, database: 'test', username: 'postgres', tls: 'disable', agent: 'edge' });
    agent = startAgent(a.apiUrl, token, ['127.0.0.1:5432']);
    await until('the agent links to both replicas', async () => (await links(a)) === 1 && (await links(b)) === 1);
  }, 90_000);

  afterAll(async () => {
    await agent?.kill();
    await a?.kill9();
    await b?.stop();
    rmSync(recordings, { recursive: true, force: true });
    const c = new pg.Client({ connectionString: testPgUrl });
    await c.connect();
    await c.query(`drop schema if exists "${schema}" cascade`);
    await c.end();
  });

  it('sessions that ended on A keep their recordings; the session in flight dies; the next one goes through B', async () => {
    // Load on A: four workers, each running short sessions of three statements back to back.
    const finished: string[] = [];
    let stop = false;
    const worker = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const c = client(a);
        try {
          await c.connect();
          for (let i = 0; i < 3; i++) await c.query(`select ${w} as w, ${n} as n, ${i} as i`);
          await c.end();
          finished.push(`${w}:${n}`);
        } catch {
          return; // A is gone
        }
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    // A session that stays open across the kill.
    const inFlight = client(a);
    await inFlight.connect();
    const inFlightAddress = `127.0.0.1:${(inFlight as unknown as { connection: { stream: { localPort: number } } }).connection.stream.localPort}`;
    await until('some sessions finish under load', async () => finished.length >= 8);
    await a.kill9();
    stop = true;
    await Promise.all(workers);
    expect(await inFlight.query('select 1').then(() => 'answered', () => 'failed')).toBe('failed');

    // The client reconnects to the other replica: psql through B and the agent.
    const out = await psql([`postgresql://alice:${encodeURIComponent(userToken)}@127.0.0.1:${b.pgPort}/via-edge?sslmode=disable`, '-At', '-c', "select 'after the kill'"]);
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('after the kill');

    // "Committed" means the store has the session's end; the gateway writes that only after the
    // recording is closed, so every such session must have its whole recording on disk.
    type Row = { id: string; endedAt: string | null; statements: number; endReason: string | null; clientAddress: string };
    let ended: Row[] = [];
    await until('the psql session on B is stored as ended', async () => {
      ended = ((await api(b, 'GET', '/api/v1/sessions?user=alice&limit=1000')) as Row[]).filter((r) => r.endedAt !== null);
      return ended.some((r) => r.statements === 1);
    });
    // Read as a gateway reads them (JSON lines and packed records).
    const onDisk = createDiskRecordings(recordings, { flushIntervalMs: 1000, decoders: packedDecoders() });
    const recorded = async (id: string) => {
      const events: RecordingEvent[] = [];
      for await (const e of onDisk.read(id)) events.push(e);
      return events;
    };
    // Sessions A was running when it died are ended in the store by B (below), never by A: their recordings stop short.
    for (const r of ended.filter((x) => !x.endReason?.startsWith('replica_lost'))) {
      const events = await recorded(r.id);
      expect(events[0]!.type).toBe('session_start');
      expect(events.at(-1)!.type).toBe('session_end');
      expect(events.filter((e) => e.type === 'statement').length).toBe(r.statements);
    }
    // Each worker had at most one session whose end raced the kill (the client had closed, the
    // gateway had not yet stored the end): every other session a client finished on A is committed.
    expect(ended.filter((r) => r.statements === 3).length).toBeGreaterThanOrEqual(finished.length - 4);

    // The sessions A had open when it died (the in-flight one, and any worker's cut mid-way) do not stay
    // open forever: once A's heartbeat lapses, B ends them as lost with A.
    let all: Row[] = [];
    await until('B ends the sessions A left open', async () => {
      all = (await api(b, 'GET', '/api/v1/sessions?user=alice&limit=1000')) as Row[];
      return all.every((r) => r.endedAt !== null);
    });
    const lost = all.filter((r) => r.endReason?.startsWith('replica_lost'));
    expect(lost.length).toBeGreaterThanOrEqual(1);
    for (const r of lost) expect(r.endReason).toMatch(/^replica_lost: gateway replica ".+" stopped \(no heartbeat since \d{4}-/);
    expect(lost.map((r) => r.clientAddress)).toContain(inFlightAddress);
  }, 90_000);
});
