import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiskRecordings } from './disk.ts';
import { EventLines } from './json-line.ts';
import { packedBody, PackedReader, type PackedOut } from './packed-bytes.ts';
import { packedHeaderBytes, packedMark, PackedDecoders, type PackedDecoder } from './packed.ts';
import { recordedEvents } from './recorded-events.ts';
import type { RecordingEvent } from './types.ts';

// A toy codec: a body is a varint and a string, read back as a notice naming both; kind 0 defines
// the prefix later notices carry (a stateful decoder, as a protocol's is).
const toy = 7;
function toyDecoder(): PackedDecoder {
  let prefix = '';
  return {
    decode(body) {
      const r = new PackedReader(body);
      const n = r.varint();
      const s = r.string();
      if (n === 0) {
        prefix = s;
        return undefined;
      }
      if (!r.done) throw new Error('trailing bytes');
      return { type: 'notice', at: 'toy', message: `${prefix}${n}:${s}` };
    },
  };
}
const decoders = () => new PackedDecoders().register(toy, async () => toyDecoder);

/** A toy record: `n` and `s`, and `extra` bytes after them (a body its decoder refuses). */
const toyRecord = (n: number, s: string, extra = 0) => ({
  codec: toy,
  write(out: PackedOut) {
    out.varint(n);
    out.string(s);
    for (let i = 0; i < extra; i++) out.u8(1);
  },
});
const body = (n: number, s: string, extra = 0) => Buffer.from(packedBody(toyRecord(n, s, extra)));
function frame(codec: number, b: Buffer): Buffer {
  const h = Buffer.alloc(packedHeaderBytes);
  h[0] = packedMark;
  h[1] = codec;
  h.writeUInt32LE(b.length, 2);
  return Buffer.concat([h, b]);
}
const line = (e: RecordingEvent) => Buffer.from(new EventLines().line(e) + '\n');

async function read(chunks: Buffer[], d = decoders()): Promise<RecordingEvent[]> {
  const out: RecordingEvent[] = [];
  for await (const e of recordedEvents((async function* () { yield* chunks; })(), d)) out.push(e);
  return out;
}

/** `bytes` cut at `cuts` (positions, any order, duplicates allowed). */
function cut(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  return out;
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('recorded events: JSON lines and packed records in one file', () => {
  it('reads lines and records in their order, however the bytes are cut', async () => {
    const item = fc.oneof(
      fc.record({ kind: fc.constant('line' as const), message: fc.string({ unit: 'binary' }) }),
      fc.record({ kind: fc.constant('packed' as const), n: fc.integer({ min: 0, max: 2 ** 40 }), s: fc.string({ unit: 'grapheme', maxLength: 300 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(item, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 40 }), async (items, cuts) => {
        const expected: RecordingEvent[] = [];
        let prefix = '';
        const bytes = Buffer.concat(
          items.map((it) => {
            if (it.kind === 'line') {
              const e: RecordingEvent = { type: 'notice', at: 'line', message: it.message };
              expected.push(JSON.parse(JSON.stringify(e)) as RecordingEvent);
              return line(e);
            }
            if (it.n === 0) prefix = it.s;
            else expected.push({ type: 'notice', at: 'toy', message: `${prefix}${it.n}:${it.s}` });
            return frame(toy, body(it.n, it.s));
          }),
        );
        expect(await read(cut(bytes, cuts))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('ends at a torn last record or line, keeping everything before it', async () => {
    const whole = Buffer.concat([line({ type: 'notice', at: 'a', message: 'one' }), frame(toy, body(5, 'two'))]);
    for (let end = whole.length - 1; end > whole.length - 12; end--) {
      const got = await read([whole.subarray(0, end)]);
      expect(got.map((e) => (e.type === 'notice' ? e.message : ''))).toEqual(['one']);
    }
    expect(await read([whole, Buffer.from('{"type":"notice","at":"b","mess')])).toHaveLength(2);
  });

  it('turns a record it cannot read into a notice and reads on: no decoder, or a body the decoder refuses', async () => {
    const bytes = Buffer.concat([frame(9, body(1, 'x')), frame(toy, body(2, 'y', 1)), line({ type: 'notice', at: 'c', message: 'after' }), frame(toy, body(3, 'z'))]);
    const got = await read([bytes]);
    expect(got.map((e) => (e.type === 'notice' ? e.message : ''))).toEqual([
      'a packed record of codec 9 (3 bytes) was skipped: this gateway has no decoder for it',
      'a packed record of codec 7 (4 bytes) was skipped: trailing bytes',
      'after',
      '3:z',
    ]);
  });

  it('a disk writer puts packed records between its lines, in the order appended, and reads them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-packed-'));
    dirs.push(dir);
    const rec = createDiskRecordings(dir, { flushIntervalMs: 10_000, decoders: decoders() });
    const w = rec.open('ses_p');
    const big = 'é'.repeat(70_000);
    w.append({ type: 'notice', at: 'a', message: 'first' });
    w.appendPacked(toyRecord(0, '>'));
    w.appendPacked(toyRecord(1, 'head'));
    // Larger than the writer's first buffer: written again in a fresh one.
    w.appendPacked(toyRecord(2, big));
    w.append({ type: 'notice', at: 'b', message: 'last' });
    await w.close();
    const raw = readFileSync(join(dir, 'ses_p.jsonl'));
    expect(raw[raw.indexOf('first') + 'first"}'.length + 1]).toBe(packedMark);
    const got: string[] = [];
    for await (const e of rec.read('ses_p')) got.push(e.type === 'notice' ? e.message : '');
    expect(got).toEqual(['first', '>1:head', `>2:${big}`, 'last']);
  });
});

describe('packed bodies', () => {
  it('read back as written: varints up to 2^53, doubles, bytes, strings, rewritten whole when the first buffer is too small', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.maxSafeNat(), fc.double(), fc.uint8Array({ maxLength: 300 }), fc.string({ unit: 'grapheme' }))), (rows) => {
        const body = packedBody({
          codec: toy,
          write(out) {
            for (const [n, d, bytes, s] of rows) {
              out.varint(n);
              out.f64(d);
              out.sized(bytes);
              out.string(s);
            }
          },
        });
        const r = new PackedReader(Buffer.from(body));
        for (const [n, d, bytes, s] of rows) {
          expect(r.varint()).toBe(n);
          expect(Object.is(r.f64(), d)).toBe(true);
          expect([...r.sized()]).toEqual([...bytes]);
          expect(r.string()).toBe(s);
        }
        expect(r.done).toBe(true);
      }),
    );
  });

  it('refuses to read past the end', () => {
    const b = body(1, 'abc');
    const r = new PackedReader(b.subarray(0, 3));
    expect(r.varint()).toBe(1);
    expect(() => r.string()).toThrow(RangeError);
    expect(() => new PackedReader(Buffer.from([0x80, 0x80])).varint()).toThrow(RangeError);
  });
});
