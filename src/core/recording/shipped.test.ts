import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, type TestS3 } from '../../../test/helpers/s3.ts';
import { createS3ObjectStore, type ObjectStore } from './object-store.ts';
import { createShippedRecordings, type ShippedRecordings } from './shipped.ts';
import type { RecordingEvent, StatementEvent } from './types.ts';

/**
 * Shipped recordings against a real S3-compatible server (s3rver): each "replica" here is a
 * storage with a spool of its own, sharing only the bucket.
 */
let s3: TestS3;
let store: ObjectStore;
const dirs: string[] = [];
const log = pino({ level: 'silent' });

beforeAll(async () => {
  s3 = await startS3();
  store = createS3ObjectStore({ endpoint: s3.endpoint, bucket: s3.bucket, region: 'us-east-1', accessKey: s3.accessKey, secretKey: s3.secretKey, pathStyle: true }, 'rec/');
});
afterAll(async () => {
  await s3.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function replica(shipIntervalMs = 60_000, logger = log): { rec: ShippedRecordings; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'warden-shipped-'));
  dirs.push(dir);
  return { rec: createShippedRecordings({ dir, flushIntervalMs: 10, store, prefix: 'rec/', shipIntervalMs, log: logger }), dir };
}

const statement = (seq: number, text: string): StatementEvent => ({ type: 'statement', at: new Date(0).toISOString(), seq, text, durationMs: 1, rows: [[`row ${seq}`]], rowCount: 1, rowsTruncated: false });

async function all(events: AsyncIterable<RecordingEvent>): Promise<RecordingEvent[]> {
  const out: RecordingEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

async function until(what: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (await what()) return;
  throw new Error('timed out');
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const chunk of stream) s += chunk.toString();
  return s;
}

describe('recordings shipped to S3-compatible storage', () => {
  it('ships a closed recording and its asciicast, empties the spool, and another replica reads both', async () => {
    const a = replica(50);
    const b = replica();
    await a.rec.start();
    await b.rec.start();
    const w = a.rec.open('ses_ship1');
    for (let i = 1; i <= 300; i++) w.append(statement(i, `select ${i} /* ${'x'.repeat(i % 50)} */`));
    writeFileSync(join(a.dir, 'ses_ship1.cast'), '{"version":2,"width":80,"height":24}\n[0.1,"o","hello"]\n');
    writeFileSync(join(a.dir, 'ses_ship1-2.cast'), '{"version":2,"width":80,"height":24}\n[0.2,"o","again"]\n');
    await w.close();
    // Closed means the events are in the bucket (what comes next in the spool is the asciicasts' turn).
    expect((await all(b.rec.read('ses_ship1'))).length).toBe(300);
    await until(() => readdirSync(a.dir).length === 0);
    const events = await all(b.rec.read('ses_ship1'));
    expect(events.map((e) => (e as StatementEvent).text)).toEqual(Array.from({ length: 300 }, (_, i) => `select ${i + 1} /* ${'x'.repeat((i + 1) % 50)} */`));
    expect(await text(await b.rec.file('ses_ship1.cast'))).toContain('"hello"');
    expect(await text(await b.rec.file('ses_ship1-2.cast'))).toContain('"again"');
    await expect(b.rec.file('ses_ship1-3.cast')).rejects.toMatchObject({ kind: 'not_found' });
    await expect(all(b.rec.read('ses_never'))).rejects.toMatchObject({ kind: 'not_found' });
    await a.rec.stop();
    await b.rec.stop();
  });

  it("ships a live session's new bytes as segments every interval, readable elsewhere while it runs", async () => {
    const a = replica(50);
    const b = replica();
    await a.rec.start();
    const w = a.rec.open('ses_live1');
    w.append(statement(1, 'select 1'));
    await until(async () => (await store.list('rec/ses_live1.jsonl/')).length === 1);
    w.append(statement(2, 'select 2'));
    await until(async () => (await store.list('rec/ses_live1.jsonl/')).length === 2);
    // Still live on a: its spool keeps the file; b reads the two segments joined.
    expect(existsSync(join(a.dir, 'ses_live1.jsonl'))).toBe(true);
    expect((await all(b.rec.read('ses_live1'))).map((e) => (e as StatementEvent).text)).toEqual(['select 1', 'select 2']);
    await w.close();
    await a.rec.stop();
    expect(existsSync(join(a.dir, 'ses_live1.jsonl'))).toBe(false);
    expect(await store.list('rec/ses_live1.jsonl/')).toHaveLength(2);
  });

  it('ships at start what an earlier run left in the spool, after what that run had shipped already, and says when it is done', async () => {
    const logged: { msg: string }[] = [];
    const a = replica(60_000, pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as { msg: string }) }));
    // An earlier run shipped the first line, then died with the second only on disk.
    const first = `${JSON.stringify(statement(1, 'select 1'))}\n`;
    const second = `${JSON.stringify(statement(2, 'select 2'))}\n`;
    await store.put('rec/ses_crash1.jsonl/00000001', Buffer.from(first));
    writeFileSync(join(a.dir, 'ses_crash1.jsonl'), first + second);
    await a.rec.start();
    await until(() => !existsSync(join(a.dir, 'ses_crash1.jsonl')));
    const segments = await store.list('rec/ses_crash1.jsonl/');
    expect(segments.map((s) => s.size)).toEqual([first.length, second.length]);
    const b = replica();
    expect((await all(b.rec.read('ses_crash1'))).map((e) => (e as StatementEvent).text)).toEqual(['select 1', 'select 2']);
    await until(() => logged.length >= 2);
    expect(logged.map((l) => l.msg)).toEqual(['shipping recordings an earlier run left in the local spool', 'the recordings an earlier run left are shipped']);
    await a.rec.stop();
  });

  it('keeps recordings in the spool while the store is unreachable and ships them once it answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-shipped-'));
    dirs.push(dir);
    let down = true;
    const flaky: ObjectStore = { ...store, put: (k, b) => (down ? Promise.reject(new Error('connect ECONNREFUSED')) : store.put(k, b)) };
    const counts = { bytes: 0, failures: 0 };
    const rec = createShippedRecordings({ dir, flushIntervalMs: 10, store: flaky, prefix: 'rec/', shipIntervalMs: 50, log, counts: { shipped: (n) => (counts.bytes += n), failed: () => counts.failures++ } });
    await rec.start();
    const w = rec.open('ses_down1');
    w.append(statement(1, 'select 1'));
    await w.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(join(dir, 'ses_down1.jsonl'))).toBe(true);
    expect(counts).toMatchObject({ bytes: 0, failures: expect.any(Number) });
    expect(counts.failures).toBeGreaterThan(1);
    // Still readable from the spool meanwhile.
    expect(await all(rec.read('ses_down1'))).toHaveLength(1);
    down = false;
    await until(() => !existsSync(join(dir, 'ses_down1.jsonl')));
    expect(await all(replica().rec.read('ses_down1'))).toHaveLength(1);
    expect(counts.bytes).toBe((await store.list('rec/ses_down1.jsonl/')).reduce((n, s) => n + s.size, 0));
    await rec.stop();
  });

  it('refuses to start on a bucket that does not exist, naming it', async () => {
    const missing = createS3ObjectStore({ endpoint: s3.endpoint, bucket: 'no-such-bucket', region: 'us-east-1', accessKey: s3.accessKey, secretKey: s3.secretKey, pathStyle: true }, 'rec/');
    const dir = mkdtempSync(join(tmpdir(), 'warden-shipped-'));
    dirs.push(dir);
    const rec = createShippedRecordings({ dir, flushIntervalMs: 10, store: missing, prefix: 'rec/', shipIntervalMs: 50, log });
    await expect(rec.start()).rejects.toThrow(/bucket "no-such-bucket" does not exist/);
  });
});
