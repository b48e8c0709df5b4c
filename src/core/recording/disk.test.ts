import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChunkPool } from './chunk-pool.ts';
import { chunkBytes, createDiskRecordings } from './disk.ts';
import { statementKeys } from './json-line.ts';
import type { RecordingEvent, StatementEvent } from './types.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir() {
  const d = mkdtempSync(join(tmpdir(), 'warden-rec-'));
  dirs.push(d);
  return d;
}

const note = (message: string): RecordingEvent => ({ type: 'notice', at: new Date(0).toISOString(), message });

describe('disk recordings', () => {
  it('appends events in order and reads them back', async () => {
    const rec = createDiskRecordings(tempDir(), { flushIntervalMs: 10 });
    const w = rec.open('ses_a');
    for (let i = 0; i < 50; i++) w.append(note(`n${i}`));
    await w.close();
    const got: RecordingEvent[] = [];
    for await (const e of rec.read('ses_a')) got.push(e);
    expect(got.map((e) => (e.type === 'notice' ? e.message : ''))).toEqual(Array.from({ length: 50 }, (_, i) => `n${i}`));
  });

  it('flushes on its own within the interval, before close', async () => {
    const dir = tempDir();
    const w = createDiskRecordings(dir, { flushIntervalMs: 20 }).open('ses_b');
    w.append(note('early'));
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(join(dir, 'ses_b.jsonl'), 'utf8')).toContain('early');
    await w.close();
  });

  it('keeps every byte of lines that fill several buffers: non-ASCII text and a line larger than a buffer', async () => {
    const rec = createDiskRecordings(tempDir(), { flushIntervalMs: 10_000 });
    const w = rec.open('ses_c');
    const messages = Array.from({ length: 3000 }, (_, i) => (i === 1500 ? 'x€'.repeat(100_000) : `n${i} é€😀 "q" \\ \n`));
    for (const m of messages) w.append(note(m));
    await w.close();
    const got: string[] = [];
    for await (const e of rec.read('ses_c')) got.push(e.type === 'notice' ? e.message : '');
    expect(got).toEqual(messages);
  });

  it('writes statement lines byte for byte as JSON.stringify would (keys in their order), across buffer ends and with lines larger than a buffer', async () => {
    const dir = tempDir();
    const rec = createDiskRecordings(dir, { flushIntervalMs: 10_000 });
    const w = rec.open('ses_s');
    const verdict = Object.freeze({ effect: 'allow', rules: Object.freeze(['r']) }) as StatementEvent['verdict'];
    const events = Array.from({ length: 3000 }, (_, i): StatementEvent => {
      // Lines of every length up to ~2 KB, so that lines end at every place near a buffer's end; a few larger than a buffer.
      const cell = i % 500 === 7 ? 'é€😀"\\n'.repeat(12_000) : `${i} é€😀 ${i % 2 === 0 ? 'plain' : `"q" \\ \n`}`.repeat(i % 97);
      return { type: 'statement', at: `2026-01-01T00:00:00.${String(i % 1000).padStart(3, '0')}Z`, seq: i, text: i % 3 === 0 ? 'SELECT 1' : `SELECT ${i}`, durationMs: i / 1000, columns: ['c'], rows: [[cell]], rowCount: 1, rowsTruncated: false, verdict };
    });
    const reference = (e: StatementEvent) => JSON.stringify(Object.fromEntries(statementKeys.filter((k) => k in e).map((k) => [k, e[k]])));
    for (const e of events) w.append(e);
    w.append(note('last'));
    await w.close();
    const expected = Buffer.from(events.map((e) => reference(e) + '\n').join('') + JSON.stringify(note('last')) + '\n');
    const file = readFileSync(join(dir, 'ses_s.jsonl'));
    // Compared as text only on a mismatch (a 10 MB diff is unreadable and slow).
    if (!file.equals(expected)) expect(file.toString('latin1').slice(0, 4000)).toBe(expected.toString('latin1').slice(0, 4000));
    expect(file.equals(expected)).toBe(true);
  });

  it('reuses the buffers of written lines for the next ones, and every line still reaches the file in order', async () => {
    const chunks = new ChunkPool(chunkBytes, 64);
    const rec = createDiskRecordings(tempDir(), { flushIntervalMs: 5, chunks });
    const w = rec.open('ses_d');
    const messages = Array.from({ length: 9000 }, (_, i) => `n${i} ${'x'.repeat(i % 200)}`);
    // Until an interval's 64 KiB buffers are back, written (the first, smaller one is not pooled).
    const written = () => vi.waitFor(() => expect(chunks.free).toBeGreaterThan(2), { timeout: 10_000 });
    for (let i = 0; i < 3000; i++) w.append(note(messages[i]!));
    await written();
    const returned = chunks.free;
    for (let i = 3000; i < 6000; i++) w.append(note(messages[i]!));
    expect(chunks.free).toBeLessThan(returned);
    await written();
    for (let i = 6000; i < 9000; i++) w.append(note(messages[i]!));
    await w.close();
    const got: string[] = [];
    for await (const e of rec.read('ses_d')) got.push(e.type === 'notice' ? e.message : '');
    expect(got).toEqual(messages);
  });

  it('refuses session ids that could name another path', async () => {
    const rec = createDiskRecordings(tempDir(), { flushIntervalMs: 10 });
    expect(() => rec.read('../etc/passwd')).toThrow(/no recording/);
    await expect(async () => {
      for await (const _ of rec.read('ses_missing')) void _;
    }).rejects.toThrow(/no recording/);
  });
});
