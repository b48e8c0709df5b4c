import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/core/identity/index.ts';
import { newId } from '../../src/core/ids.ts';
import type { StatementEvent } from '../../src/core/recording/types.ts';
import { gatewayUrl, sharedReplicaSetup, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { psql } from '../helpers/psql.ts';
import { startS3, type TestS3 } from '../helpers/s3.ts';

// Two gateway replicas on one PostgreSQL store, each with a recording spool of its own, shipping to
// one S3-compatible bucket (s3rver): a session recorded on A is read through B's API as soon as the
// store shows it ended (the ship interval is a minute here: only the ship at close can have put it
// there), and still once A and its data dir are gone.
describe('recordings on S3-compatible storage, read from any replica', () => {
  const shared = sharedReplicaSetup();
  let s3: TestS3;
  let a: TestGateway;
  let b: TestGateway;
  let userToken: string;
  let auditorToken: string;

  beforeAll(async () => {
    s3 = await startS3();
    const recording = { flushIntervalMs: 50, s3: s3.config({ shipIntervalMs: 60_000 }) };
    a = await startTestGateway({ config: { ...shared.config, replica: 'gw-a', recording } });
    b = await startTestGateway({ config: { ...shared.config, replica: 'gw-b', recording } });
    userToken = await a.user('rita');
    const auditor = await b.gw.core.users.create({ id: newId('usr'), name: 'otto', role: 'auditor', groups: [], createdAt: new Date() });
    auditorToken = (await issueToken(b.gw.core, auditor.id, { name: 'test' })).token;
    await a.connection('pg');
  }, 60_000);

  afterAll(async () => {
    await b?.stop().catch(() => undefined);
    await a?.stop().catch(() => undefined);
    await shared.remove();
    await s3?.stop();
  });

  const eventsOnB = async (id: string) => {
    const res = await fetch(`${b.apiUrl}/api/v1/sessions/${id}/events`, { headers: { authorization: `Bearer ${auditorToken}` } });
    return { status: res.status, events: (await res.text()).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string }) };
  };

  it("a psql session on A is replayed through B's API as soon as it has ended, also once A's host is gone", async () => {
    const marker = `s3-${process.pid}`;
    const r = await psql([gatewayUrl(a, 'rita', userToken, 'pg'), '-c', `select '${marker}' as marker, generate_series(1, 3) as n`]);
    expect(r.stderr).toBe('');
    let id = '';
    for (let i = 0; i < 400 && !id; i++) {
      const [s] = await b.gw.core.sessions.list({ userName: 'rita', limit: 1 });
      if (s?.endedAt) id = s.id;
      else await new Promise((res) => setTimeout(res, 25));
    }
    expect(id).not.toBe('');
    // Ended in the store means the whole recording is in the bucket: B reads it at once. B never had the file.
    expect(existsSync(join(b.dataDir, 'recordings', `${id}.jsonl`))).toBe(false);
    const { status, events } = await eventsOnB(id);
    expect(status).toBe(200);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['session_start', 'statement', 'session_end']));
    const statement = events.find((e): e is StatementEvent => e.type === 'statement' && (e as StatementEvent).text.includes(marker));
    expect(statement?.rows).toEqual([[marker, '1'], [marker, '2'], [marker, '3']]);
    const metrics = await (await fetch(`${a.apiUrl}/metrics`)).text();
    expect(Number(/^warden_recording_shipped_bytes_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    // A's host goes away with its data dir (stop() removes it): the recording stays readable on B.
    await a.stop();
    expect(existsSync(a.dataDir)).toBe(false);
    expect((await eventsOnB(id)).events).toEqual(events);
  });
});
