import { afterEach, describe, expect, it, vi } from 'vitest';
import { manualClock } from '../../core/clock.ts';
import { packedBody } from '../../core/recording/packed-bytes.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { RecordingEvent, StatementEvent } from '../../core/recording/types.ts';
import { lenencBytes } from './codec/lenenc.ts';
import type { ColumnDef } from './codec/results.ts';
import { StatementTracker } from './events.ts';
import { mysqlPackedDecoder } from './packed-events.ts';

// The packed path must read back as exactly the events the tracker emits without it: the same
// calls go to a tracker that packs and to one that does not, and their recordings must be equal.

const allow: Verdict = Object.freeze({ effect: 'allow', rules: [{ id: 'read-ok', reason: 'reads are fine' }], statements: [{ class: 'read', tables: [{ name: 'users' }] }] }) as unknown as Verdict;
const other: Verdict = Object.freeze({ effect: 'allow', rules: [{ id: 'writes', reason: 'ok' }] }) as Verdict;

const def = (name: string, type: number, flags = 0): ColumnDef => ({ schema: 'shop', table: 'users', orgTable: 'users', name, orgName: name, charset: 45, type, flags });
const textCols = [def('id', 0x03), def('email', 0xfd), def('note', 0xfc)];
const binaryCols = [def('id', 0x08, 0x20), def('name', 0xfd), def('score', 0x05)];
const NULL = Buffer.from([0xfb]);
const textRow = (...cells: (string | null)[]) => Buffer.concat(cells.map((c) => (c === null ? NULL : lenencBytes(c))));
function binaryRow(id: bigint, name: string | null, score: number): Buffer {
  const bitmap = Buffer.alloc(1);
  if (name === null) bitmap[0] = 1 << 3;
  const u64 = Buffer.alloc(8);
  u64.writeBigUInt64LE(id);
  const dbl = Buffer.alloc(8);
  dbl.writeDoubleLE(score);
  return Buffer.concat([Buffer.from([0]), bitmap, u64, ...(name === null ? [] : [lenencBytes(name)]), dbl]);
}
const query = (text: string) => Buffer.concat([Buffer.from([0x03]), Buffer.from(text)]);

type Script = (t: StatementTracker, clock: ReturnType<typeof manualClock>) => void;

/** What `script` records through a tracker: its events, and with `packed` its packed records decoded in order. */
function recorded(script: Script, packed: boolean, caps = { maxRows: 100, maxBytes: 1 << 20 }): RecordingEvent[] {
  const out: RecordingEvent[] = [];
  const decoder = mysqlPackedDecoder();
  const clock = manualClock(new Date('2026-11-27T07:00:00.123Z'));
  let now = 1000;
  vi.spyOn(performance, 'now').mockImplementation(() => (now += 0.25));
  const tracker = new StatementTracker(
    (e) => out.push(JSON.parse(JSON.stringify(e)) as StatementEvent),
    caps,
    clock,
    'k',
    undefined,
    undefined,
    packed
      ? (record) => {
          const e = decoder.decode(packedBody(record));
          if (e) out.push(e);
        }
      : undefined,
  );
  script(tracker, clock);
  return out;
}

function samePath(script: Script, caps?: { maxRows: number; maxBytes: number }): RecordingEvent[] {
  const events = recorded(script, false, caps);
  expect(recorded(script, true, caps)).toEqual(events);
  return events;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('MySQL packed statements read back as the events they stand for', () => {
  it('text results, repeated shapes and texts, nulls and non-ASCII values', () => {
    const events = samePath((t, clock) => {
      for (const [i, email] of ['ada@example.com', 'zoë@example.com', ''].entries()) {
        const text = `select id, email, note from users where id = ${i} -- ✓`;
        t.begin(text, allow, undefined, query(text));
        t.columns(textCols);
        t.row(textRow(String(i), email, null));
        t.row(textRow(String(i + 10), null, 'x'.repeat(300)));
        t.end();
        clock.advance(7);
      }
    });
    expect(events).toHaveLength(3);
    expect((events[1] as StatementEvent).rows).toEqual([
      ['1', 'zoë@example.com', null],
      ['11', null, 'x'.repeat(300)],
    ]);
  });

  it('prepared executes with binary rows, a text written once and referred to', () => {
    const events = samePath((t) => {
      for (let i = 0; i < 3; i++) {
        t.begin('select id, name, score from users where id = ?', allow, '7');
        t.columns(binaryCols);
        t.row(binaryRow(18446744073709551615n - BigInt(i), i === 1 ? null : `n${i}`, -2.5 * i));
        t.end();
      }
    });
    expect((events[0] as StatementEvent).rows).toEqual([['18446744073709551615', 'n0', '0']]);
    expect((events[2] as StatementEvent).prepared).toBe('7');
  });

  it('no result, rows affected, no verdict, the recording cap by rows and by bytes', () => {
    samePath((t) => {
      t.begin('update users set note = 1', other, undefined, query('update users set note = 1'));
      t.ok(3);
      t.ok(2);
      t.end();
      t.begin('select 1', undefined, undefined, query('select 1'));
      t.columns(textCols);
      for (let i = 0; i < 5; i++) t.row(textRow(String(i), 'e', 'n'));
      t.end();
    }, { maxRows: 3, maxBytes: 1 << 20 });
    const [, capped] = samePath((t) => {
      t.begin('select 2', allow, undefined, query('select 2'));
      t.columns(textCols);
      t.row(textRow('1', 'a'.repeat(40), null));
      t.end();
      t.begin('select 3', allow, undefined, query('select 3'));
      t.columns(textCols);
      for (let i = 0; i < 4; i++) t.row(textRow(String(i), 'a'.repeat(40), null));
      t.end();
    }, { maxRows: 100, maxBytes: 100 });
    expect(capped).toMatchObject({ rowCount: 4, rowsTruncated: true, rows: [expect.anything(), expect.anything()] });
  });

  it('statements that become events part-way: a second result, an error after rows, an upload, a session ending', () => {
    const events = samePath((t) => {
      // A procedure's two results through a prepared CALL: binary rows, decoded by each result's own types.
      t.begin('call two_results()', allow, '3');
      t.columns(binaryCols);
      t.row(binaryRow(1n, 'a', 0.5));
      t.columns([def('name', 0xfd)]);
      t.row(Buffer.concat([Buffer.from([0, 0]), lenencBytes('c')]));
      t.end();
      t.begin('select 4', allow, undefined, query('select 4'));
      t.columns(textCols);
      t.row(textRow('4', 'd', null));
      t.error(1317, 'Query execution was interrupted');
      t.end();
      t.begin("load data local infile 'x' into table t", allow, undefined, query("load data local infile 'x' into table t"));
      t.upload('x');
      t.uploaded(Buffer.from('a,b\n'));
      t.ok(1);
      t.end();
      t.stopped('drop table users', { effect: 'block', rules: [{ id: 'no-ddl', reason: 'no' }], message: 'blocked' }, '1142', 'blocked');
      t.begin('select id, name, score from users', allow, '9');
      t.columns(binaryCols);
      t.row(binaryRow(1n, 'x', 1));
      t.flush('client_closed');
    });
    expect(events.map((e) => (e as StatementEvent).error?.code)).toEqual([undefined, '1317', undefined, '1142', '']);
    expect((events[0] as StatementEvent).rows).toEqual([['1', 'a', '0.5'], ['c']]);
  });
});

describe('MySQL packed statements: what only the packed path does', () => {
  it('reads a malformed row back as its bytes in hex, where the live decoder would throw', () => {
    const [e] = recorded((t) => {
      t.begin('select 1', allow, undefined, query('select 1'));
      t.columns(textCols);
      t.row(Buffer.from([0xfc, 0xff]));
      t.end();
    }, true);
    expect((e as StatementEvent).rows).toEqual([['\\xfcff']]);
  });

  it('refuses a record that refers to a definition the recording does not hold', () => {
    const bodies: Buffer[] = [];
    const t = new StatementTracker(() => {}, { maxRows: 9, maxBytes: 1 << 20 }, manualClock(), 'k', undefined, undefined, (record) => {
      bodies.push(Buffer.from(packedBody(record)));
    });
    t.begin('select 1', allow, undefined, query('select 1'));
    t.end();
    // The verdict's definition came first; a reader that missed it cannot name the verdict.
    expect(bodies).toHaveLength(2);
    expect(() => mysqlPackedDecoder().decode(bodies[1]!)).toThrow(/definition 0/);
    const reader = mysqlPackedDecoder();
    expect(reader.decode(bodies[0]!)).toBeUndefined();
    expect(reader.decode(bodies[1]!)).toMatchObject({ text: 'select 1', verdict: { effect: 'allow', rules: ['read-ok'] } });
  });
});
