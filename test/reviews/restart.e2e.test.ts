import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { startGateway, type GatewayHandle } from '../../src/gateway.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { approve, Fixture, GatewayClient, showReview } from './support.ts';

/**
 * Reviews live in the store: a gateway restarted over the same data dir
 * (SQLite store, master key, users and tokens) still knows every pending
 * review. A queued statement approved on the new gateway runs there; a client
 * held while the gateway stops gets a clear error, and its review can still
 * be decided afterwards.
 */
const fx = new Fixture(`w_reviews_restart_${process.pid}`);
const rules = [
  { id: 'queue-deletes', match: { kinds: ['DeleteStmt'], connections: ['queue'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'queue' } },
  { id: 'hold-deletes', match: { kinds: ['DeleteStmt'], connections: ['hold'] }, effect: 'review', approvers: ['dbas'], review: { mode: 'hold' } },
  { id: 'allow-other', match: {}, effect: 'allow' },
];

let first: TestGateway;
let second: GatewayHandle | undefined;
let secondApi = '';
let secondPg = 0;
const tok: Record<string, string> = {};
const open: GatewayClient[] = [];
let queued = '';
let held = '';

/** The second gateway, over the first one's data dir, with the same config as startTestGateway builds. */
async function restartOn(dataDir: string): Promise<void> {
  const level = process.env.TEST_LOG ?? 'silent';
  const config = validateConfig(
    { dataDir, logLevel: level, listeners: { postgres: { port: 0 }, api: { port: 0 } }, recording: { flushIntervalMs: 50 }, policy: { rules } },
    'restart test config',
  );
  second = await startGateway(config, { logger: pino({ level }), env: {} });
  secondApi = `http://127.0.0.1:${second.addresses.api!.port}`;
  secondPg = second.addresses.postgres!.port;
}

beforeAll(async () => {
  await fx.create();
  await fx.reset();
  first = await startTestGateway({ rules });
  await first.connection('queue');
  await first.connection('hold');
  tok.alice = await first.user('alice', []);
  tok.dan = await first.user('dan', ['dbas']);
});
afterAll(async () => {
  for (const c of open) await c.end();
  await first?.gw.stop();
  await second?.stop();
  if (first) rmSync(first.dataDir, { recursive: true, force: true });
  await fx.drop();
});

describe('a gateway restart', () => {
  it('before: a queued review pending, and a client held when the gateway stops gets FATAL 57P01', async () => {
    const q = new GatewayClient(first.pgPort, 'alice', tok.alice!, 'queue');
    open.push(await q.connect());
    const err = await q.start(`delete from ${fx.table} where id = 1`).error();
    expect(err.code).toBe('42501');
    queued = /review (R-\d+) is open/.exec(err.message)![1]!;

    const h = new GatewayClient(first.pgPort, 'alice', tok.alice!, 'hold');
    open.push(await h.connect());
    const pending = h.start(`delete from ${fx.table} where id = 2`);
    held = await h.heldReview();
    expect(pending.settled).toBe(false);

    await first.gw.stop();
    const gone = await pending.error();
    expect(gone.code).toBe('57P01');
    expect(gone.message).toMatch(/shutting down/);
    expect(await fx.ids()).toEqual([1, 2, 3]);
  });

  it('after: both reviews are still pending on the new gateway and can be decided', async () => {
    await restartOn(first.dataDir);
    const api = { apiUrl: secondApi };
    expect((await showReview(api, tok.alice!, queued)).body).toMatchObject({ status: 'pending', mode: 'queue' });
    expect((await showReview(api, tok.alice!, held)).body).toMatchObject({ status: 'pending', mode: 'hold' });
    expect(await approve(api, tok.dan!, queued)).toMatchObject({ status: 200, body: { status: 'approved' } });
    // The held client is gone; its review is still decidable (and its approval runs nothing by itself).
    expect(await approve(api, tok.dan!, held)).toMatchObject({ status: 200, body: { status: 'approved' } });
    expect(await fx.ids()).toEqual([1, 2, 3]);
  });

  it('after: the approved queued statement runs on the new gateway, exactly once', async () => {
    const q = new GatewayClient(secondPg, 'alice', tok.alice!, 'queue');
    open.push(await q.connect());
    const ran = await q.client.query(`delete from ${fx.table} where id = 1`);
    expect(ran.command).toBe('DELETE');
    expect(ran.rowCount).toBe(1);
    expect(await fx.ids()).toEqual([2, 3]);
    expect((await showReview({ apiUrl: secondApi }, tok.alice!, queued)).body).toMatchObject({ status: 'executed', runs: 1 });
    const again = await q.start(`delete from ${fx.table} where id = 1`).error();
    expect(again.code).toBe('42501');
    expect(again.message).not.toContain(queued);
  });
});
