import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { manualClock, systemClock } from '../../core/clock.ts';
import { createMaskingServices } from '../../core/masking/service.ts';
import type { Verdict } from '../../core/policy/types.ts';
import { packedBody } from '../../core/recording/packed-bytes.ts';
import type { RecordingEvent, StatementEvent } from '../../core/recording/types.ts';
import type { MaskingServices } from '../../core/services.ts';
import type { MaskingCatalog } from '../../core/masking/views.ts';
import { initSql } from '../../core/sql/parser.ts';
import { ChunkWriter } from './codec/chunk-writer.ts';
import type { ColumnInfo } from './codec/results.ts';
import { StatementTracker } from './events.ts';
import { postgresPackedDecoder } from './packed-events.ts';

// The packed path must read back as exactly the events the tracker emits without it: the same
// calls go to a tracker that packs and to one that does not, and their recordings must be equal.

let masking: MaskingServices;
beforeAll(async () => {
  masking = createMaskingServices(await initSql(), Buffer.alloc(32, 1), systemClock);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const allow: Verdict = Object.freeze({ effect: 'allow', rules: [{ id: 'reads', reason: 'ok' }], statements: [{ class: 'read', tables: [{ name: 'pgbench_accounts' }] }] }) as unknown as Verdict;
const col = (name: string, typeOid = 25, format = 0): ColumnInfo => ({ name, tableOid: 0, attributeNumber: 0, typeOid, format, text: typeOid === 25 });
const textCols = Object.freeze([col('aid', 23), col('abalance', 23), col('filler')]) as ColumnInfo[];
const binaryCols = Object.freeze([col('id', 23, 1), col('name', 25, 1), col('blob', 17, 1)]) as ColumnInfo[];
const noOut = {} as ChunkWriter;

/** A DataRow message (type, length, count, then each value), inside a larger chunk as the relay sees it. */
function dataRow(...values: (Buffer | string | null)[]): { buf: Buffer; start: number; end: number } {
  const parts = values.map((v) => {
    if (v === null) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const b = typeof v === 'string' ? Buffer.from(v) : v;
    const len = Buffer.alloc(4);
    len.writeInt32BE(b.length);
    return Buffer.concat([len, b]);
  });
  const body = Buffer.concat([Buffer.from([0, values.length]), ...parts]);
  const head = Buffer.alloc(5);
  head[0] = 0x44;
  head.writeInt32BE(body.length + 4, 1);
  const buf = Buffer.concat([Buffer.from('xyz'), head, body, Buffer.from('tail')]);
  return { buf, start: 3, end: 3 + 5 + body.length };
}

type Script = (t: StatementTracker) => void | Promise<void>;
const row = (t: StatementTracker, ...values: (Buffer | string | null)[]) => {
  const r = dataRow(...values);
  t.dataRow(r.buf, r.start, r.end, noOut);
};

/** What `script` records through a tracker; with `packed`, `via` says per event whether it was a packed record. */
async function recorded(script: Script, packed: boolean, caps = { maxRows: 100, maxBytes: 1 << 20 }, via: ('packed' | 'event')[] = []): Promise<RecordingEvent[]> {
  const out: RecordingEvent[] = [];
  const decoder = postgresPackedDecoder();
  let now = 1000;
  vi.spyOn(performance, 'now').mockImplementation(() => (now += 0.25));
  const tracker = new StatementTracker(
    (e) => {
      via.push('event');
      out.push(JSON.parse(JSON.stringify(e)) as StatementEvent);
    },
    caps,
    manualClock(new Date('2026-11-27T07:00:00.123Z')),
    masking,
    masking.session(catalog),
    packed
      ? (record) => {
          const e = decoder.decode(Buffer.from(packedBody(record)));
          if (e) via.push('packed'), out.push(e);
        }
      : undefined,
  );
  await script(tracker);
  return out;
}

async function samePath(script: Script, caps?: { maxRows: number; maxBytes: number }): Promise<RecordingEvent[]> {
  const events = await recorded(script, false, caps);
  expect(await recorded(script, true, caps)).toEqual(events);
  return events;
}

// Every relation is a table of schema public (masking's catalog, for column rules).
const catalog: MaskingCatalog = { relations: async (names) => names.map((n) => ({ schema: 'public', name: n.name, definition: undefined })), close: () => undefined };

describe('PostgreSQL packed statements read back as the events they stand for', () => {
  it('simple queries: text rows, NULLs, non-ASCII, tags with and without counts, no result', async () => {
    const events = await samePath((t) => {
      for (let i = 0; i < 3; i++) {
        // The relay hands a Query's bytes along (recorded as they are); without them the text is encoded.
        const text = `SELECT aid, abalance, filler FROM pgbench_accounts WHERE aid = ${i} -- é`;
        t.query(text, allow, i === 2 ? undefined : Buffer.from(`\0${text}\0`).subarray(1, -1));
        t.rowDescription(textCols);
        row(t, String(i), '-5', i === 1 ? null : 'zoë');
        t.commandComplete('SELECT 1');
        t.readyForQuery(0x49);
      }
      t.query('UPDATE pgbench_accounts SET abalance = 0', allow);
      t.commandComplete('UPDATE 7');
      t.readyForQuery(0x49);
      t.query('BEGIN', allow);
      t.commandComplete('BEGIN');
      t.readyForQuery(0x54);
    });
    expect(events).toHaveLength(5);
    expect((events[1] as StatementEvent).rows).toEqual([['1', '-5', null]]);
    expect((events[3] as StatementEvent).rowsAffected).toBe(7);
  });

  it('extended executions: parameters, prepared names, binary columns, the recording cap, pipelined batches', async () => {
    await samePath((t) => {
      t.parse('s1', 'SELECT id, name, blob FROM t WHERE id = $1', allow);
      t.describe('S', 's1');
      t.rowDescription(binaryCols);
      for (let i = 0; i < 3; i++) {
        t.bind('', 's1', [String(i), null], [1, 1, 1]);
        t.execute('');
      }
      t.sync();
      for (let i = 0; i < 3; i++) {
        const id = Buffer.alloc(4);
        id.writeInt32BE(i);
        for (let r = 0; r < 3; r++) row(t, id, 'név', Buffer.from([0, 0xff]));
        t.commandComplete('SELECT 3');
      }
      t.readyForQuery(0x49);
    }, { maxRows: 2, maxBytes: 1 << 20 });
  });

  it('several results of a simple query, and executions that become events part-way: a result decoded otherwise, an error after rows, COPY out, a session ending', async () => {
    const events = await samePath((t) => {
      t.query('SELECT 1; SELECT 2', allow);
      t.rowDescription(textCols);
      row(t, '1', '2', '3');
      t.commandComplete('SELECT 1');
      t.rowDescription([col('x')]);
      row(t, 'only');
      t.commandComplete('SELECT 1');
      t.readyForQuery(0x49);
      // Not through the simple protocol (its values are text), but the tracker must not decode one result's rows by another's.
      t.query('SELECT 3; SELECT 4', allow);
      t.rowDescription(textCols);
      row(t, '1', '2', '3');
      t.commandComplete('SELECT 1');
      t.rowDescription(binaryCols);
      row(t, Buffer.from([0, 0, 0, 9]), 'n', Buffer.from([0xff]));
      t.commandComplete('SELECT 1');
      t.readyForQuery(0x49);
      t.query('SELECT aid FROM big', allow);
      t.rowDescription(textCols);
      row(t, '4', '5', '6');
      t.error('57014', 'canceling statement due to user request');
      t.readyForQuery(0x49);
      t.query('COPY t TO STDOUT', allow);
      t.copyOut(false);
      t.copyData(Buffer.concat([Buffer.from([0x64, 0, 0, 0, 8]), Buffer.from('a\tb\n')]), 0, 9);
      t.commandComplete('COPY 1');
      t.readyForQuery(0x49);
      t.query('SELECT pg_sleep(10)', allow);
      t.rowDescription(textCols);
      row(t, '7', '8', '9');
      t.flush('client_closed');
    });
    expect(events.map((e) => (e as StatementEvent).error?.code)).toEqual([undefined, undefined, '57014', undefined, '']);
    expect((events[0] as StatementEvent).rows).toEqual([['1', '2', '3'], ['only']]);
    expect((events[1] as StatementEvent).rows).toEqual([['1', '2', '3'], ['\\x00000009', 'n', '\\xff']]);
  });

  it('masked executions: rows recorded as rewritten, counts by reference; a binary column masked makes an event', async () => {
    const mask = Object.freeze({ effect: 'mask', rules: [{ id: 'pii', reason: 'fillers' }], masks: { columns: [{ column: '*.*.filler', strategy: 'redact', rule: 'pii' }, { column: '*.t.name', strategy: 'redact', rule: 'pii' }], detectors: [], exempted: [] } }) as unknown as Verdict;
    const script: Script = async (t) => {
      for (const email of ['ada@example.com', null, 'bob@example.org']) {
        const text = `SELECT aid, abalance, filler FROM pgbench_accounts WHERE filler = '${email}'`;
        await t.learn(text, mask);
        t.query(text, mask);
        t.rowDescription(textCols);
        const r = dataRow('1', '2', email);
        const out = new ChunkWriter();
        out.begin(r.buf);
        t.dataRow(r.buf, r.start, r.end, out);
        t.commandComplete('SELECT 1');
        t.readyForQuery(0x49);
      }
      await t.learn('SELECT id, name, blob FROM t', mask);
      t.parse('m', 'SELECT id, name, blob FROM t', mask);
      t.describe('S', 'm');
      t.rowDescription(binaryCols);
      t.bind('', 'm', [], [1, 1, 1]);
      t.execute('');
      await t.learnPortal('');
      t.sync();
      const out = new ChunkWriter();
      const r = dataRow(Buffer.from([0, 0, 0, 1]), 'cy@example.net', Buffer.from([1]));
      out.begin(r.buf);
      t.dataRow(r.buf, r.start, r.end, out);
      t.commandComplete('SELECT 1');
      t.readyForQuery(0x49);
    };
    const events = await samePath(script);
    const via: ('packed' | 'event')[] = [];
    await recorded(script, true, undefined, via);
    expect(via).toEqual(['packed', 'packed', 'packed', 'event']);
    const rows = events.map((e) => (e as StatementEvent).rows);
    expect(rows[0]).toEqual([['1', '2', '****']]);
    expect(rows[1]).toEqual([['1', '2', null]]);
    expect(rows[3]![0]![1]).not.toBe('cy@example.net');
    expect((events[0] as StatementEvent).masked).toBeDefined();
  });

  it('reads a malformed DataRow back as its bytes in hex, where the live decoder would throw', async () => {
    const [e] = await recorded((t) => {
      t.query('SELECT 1', allow);
      t.rowDescription(textCols);
      // Two values announced, one there: the second length cannot be read.
      const bad = Buffer.from([0x44, 0, 0, 0, 11, 0, 2, 0, 0, 0, 1, 0x41]);
      t.dataRow(bad, 0, bad.length, noOut);
      t.commandComplete('SELECT 1');
      t.readyForQuery(0x49);
    }, true);
    expect((e as StatementEvent).rows).toEqual([['\\x440000000b00020000000141']]);
  });
});
