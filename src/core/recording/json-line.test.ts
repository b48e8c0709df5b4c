import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventLines, statementKeys } from './json-line.ts';
import type { RecordingEvent, StatementEvent } from './types.ts';
import { recordedVerdict } from './verdict.ts';

const lines = new EventLines();
const eventLine = (e: RecordingEvent) => lineOf(lines, e);

/**
 * `from.line(e)`; for a statement, also checks what `from.write` puts into a pending buffer, first
 * and last with room enough for any line of that many UTF-16 units (3 bytes each: `write` may
 * ask for that much before measuring): the line's UTF-8 bytes, byte for byte, and nothing else;
 * in between with less room than the line's bytes (`short` bytes too few, at least 1): -1,
 * nothing written past its room, and nothing remembered from the part that was written.
 */
function lineOf(from: EventLines, e: RecordingEvent, short = 1): string {
  const line = from.line(e);
  if (e.type !== 'statement') return line;
  const want = Buffer.from(line);
  const at = 5;
  const buf = Buffer.alloc(at + line.length * 3 + 5);
  const untouched = (from: number) => buf.subarray(from).every((b) => b === 0xee) && buf[at - 1] === 0xee;
  const whole = () => {
    buf.fill(0xee);
    const end = from.write(e, buf, at, at + line.length * 3);
    // Compared as text only on a mismatch (readable; equals() is cheap for the many calls that match).
    if (end !== at + want.length || !buf.subarray(at, end).equals(want)) expect(buf.subarray(at, Math.max(at, end)).toString('latin1')).toBe(want.toString('latin1'));
    if (!untouched(end)) expect.fail('written outside the line');
  };
  whole();
  buf.fill(0xee);
  const room = Math.max(0, want.length - Math.max(1, short));
  if (from.write(e, buf, at, at + room) !== -1) expect.fail(`a line of ${want.length} bytes fit in ${room}`);
  if (!untouched(at + room)) expect.fail('written past its room');
  whole();
  return line;
}

/** Any UTF-16 code unit (lone surrogates included), with what JSON escapes and multi-byte text made likely. */
const unit = fc.oneof(
  fc.constantFrom('"', '\\', '\n', '\r', '\t', '\b', '\f', '\u0000', '\u001f', '\u007f', '\u2028', '\ud800', '\udfff', '😀', 'é', '€', '/'),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.constant('a'),
);
const text = fc.string({ unit, maxLength: 40 });
const cell = fc.option(text, { nil: null });
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 2, 1e21, 5e-7));

const statement: fc.Arbitrary<StatementEvent> = fc.record(
  {
    type: fc.constant('statement' as const),
    at: text,
    seq: number,
    text,
    params: fc.array(cell, { maxLength: 4 }),
    prepared: text,
    durationMs: number,
    commandTag: text,
    rowsAffected: number,
    columns: fc.array(text, { maxLength: 4 }),
    rows: fc.array(fc.array(cell, { maxLength: 4 }), { maxLength: 4 }),
    rowCount: number,
    rowsTruncated: fc.boolean(),
    error: fc.record({ code: text, message: text }),
    verdict: fc.record(
      { effect: text, rules: fc.array(text, { maxLength: 3 }), classes: fc.array(text, { maxLength: 2 }), tables: fc.array(text, { maxLength: 2 }), exempted: fc.array(fc.record({ rule: text, group: text }), { maxLength: 2 }) },
      { requiredKeys: ['effect', 'rules'] },
    ),
    masked: fc.record({ byColumn: fc.dictionary(text, fc.dictionary(text, fc.nat(), { maxKeys: 2 }), { maxKeys: 2 }), byDetector: fc.dictionary(text, fc.nat(), { maxKeys: 2 }) }),
    uncertain: text,
    upload: fc.record({ bytes: number, sha256: text, name: text }, { requiredKeys: ['bytes', 'sha256'] }),
  },
  { requiredKeys: ['type', 'at', 'seq', 'text', 'durationMs', 'rowCount', 'rowsTruncated'] },
);

/** What JSON.stringify writes for the event with its keys in the order eventLine writes them. */
function reference(e: object): string {
  const ordered: Record<string, unknown> = {};
  for (const k of statementKeys) if (k in e) ordered[k] = (e as Record<string, unknown>)[k];
  return JSON.stringify(ordered);
}

describe('eventLine', () => {
  it('writes a statement event byte for byte as JSON.stringify does (keys in its own order): any text, lone surrogates, control characters, odd numbers', () => {
    fc.assert(
      fc.property(statement, fc.nat({ max: 400 }), (e, short) => {
        const line = lineOf(lines, e, short);
        expect(line).toBe(reference(e));
        expect(JSON.parse(line)).toEqual(JSON.parse(JSON.stringify(e)));
      }),
      { numRuns: 3000 },
    );
  });

  it('writes long and huge values byte for byte: plain ASCII, multi-byte text, an escape or a lone surrogate anywhere in them', () => {
    const mostlyPlain = fc.string({ unit: fc.oneof({ weight: 30, arbitrary: fc.constantFrom('a', ' ', '-', 'é', '€', '😀') }, { weight: 1, arbitrary: unit }), maxLength: 300 });
    const e = (text: string, cell: string, tag: string): StatementEvent => ({ type: 'statement', at: '2026-01-01T00:00:00.000Z', seq: 1, text, params: [cell], durationMs: 0.021, commandTag: tag, rows: [[cell, text]], rowCount: 1, rowsTruncated: false });
    fc.assert(
      fc.property(mostlyPlain, mostlyPlain, mostlyPlain, fc.nat({ max: 2000 }), (text, cell, tag, short) => {
        expect(lineOf(lines, e(text, cell, tag), short)).toBe(reference(e(text, cell, tag)));
      }),
      { numRuns: 1000 },
    );
    for (const huge of ['x'.repeat(100_000), 'é€😀'.repeat(30_000), 'a'.repeat(70_000) + '"', 'a'.repeat(70_000) + '\ud800']) expect(lineOf(lines, e(huge, huge, huge), 100_000)).toBe(reference(e(huge, huge, huge)));
  });

  it('writes values of unexpected types as JSON.stringify does, and leaves out keys set to undefined', () => {
    const e = {
      type: 'statement',
      at: new Date(0),
      seq: 1n.toString(),
      text: 'x',
      params: ['a', undefined, 3, { b: 1 }, null, () => 1],
      prepared: undefined,
      durationMs: Number.NaN,
      columns: 'not an array',
      rows: [['a'], null, 'b', [undefined]],
      rowCount: true,
      rowsTruncated: 'no',
      error: { code: 'E', message: 'm', detail: 'd' },
      verdict: { effect: 'allow', rules: [], toJSON: () => 'verdict' },
      masked: undefined,
      uncertain: null,
    } as unknown as StatementEvent;
    expect(eventLine(e)).toBe(reference(e));
    expect(JSON.parse(eventLine(e))).toEqual(JSON.parse(JSON.stringify(e)));
  });

  it('throws as JSON.stringify throws', () => {
    const masked: Record<string, unknown> = {};
    masked.self = masked;
    expect(() => eventLine({ type: 'statement', at: '', seq: 1, text: '', durationMs: 0, rowCount: 0, rowsTruncated: false, masked } as unknown as StatementEvent)).toThrow(TypeError);
    expect(() => eventLine({ type: 'statement', at: '', seq: 1n, text: '', durationMs: 0, rowCount: 0, rowsTruncated: false } as unknown as StatementEvent)).toThrow(TypeError);
    // Written into a buffer: the same throws.
    const buf = Buffer.alloc(256);
    expect(() => lines.write({ type: 'statement', at: '', seq: 1, text: '', durationMs: 0, rowCount: 0, rowsTruncated: false, masked } as unknown as StatementEvent, buf, 0, 256)).toThrow(TypeError);
    expect(() => lines.write({ type: 'statement', at: '', seq: 1n, text: '', durationMs: 0, rowCount: 0, rowsTruncated: false } as unknown as StatementEvent, buf, 0, 256)).toThrow(TypeError);
  });

  it('writes other events as JSON.stringify does', () => {
    const events: RecordingEvent[] = [
      { type: 'session_start', at: 'a', sessionId: 's', user: 'u"', connection: 'c', protocol: 'postgres', clientAddress: '::1' },
      { type: 'notice', at: 'a', message: '\ud800 é' },
      { type: 'session_end', at: 'a', reason: 'client_closed', bytesFromClient: 1, bytesToClient: 2 },
    ];
    for (const e of events) expect(eventLine(e)).toBe(JSON.stringify(e));
  });

  it('writes a verdict it was given unfrozen anew each time (it may have changed), a frozen one from its first JSON', () => {
    const open = { effect: 'allow', rules: ['a'] };
    const e: StatementEvent = { type: 'statement', at: 'a', seq: 1, text: 't', durationMs: 0, rowCount: 0, rowsTruncated: false, verdict: open };
    expect(JSON.parse(eventLine(e)).verdict).toEqual({ effect: 'allow', rules: ['a'] });
    open.rules.push('b');
    expect(JSON.parse(eventLine(e)).verdict).toEqual({ effect: 'allow', rules: ['a', 'b'] });
    const frozen = recordedVerdict({ effect: 'allow', rules: [{ id: 'r1' }], statements: [{ class: 'read', tables: [{ name: 't' }] }] } as never);
    const line = () => JSON.parse(eventLine({ ...e, verdict: frozen })).verdict;
    expect(line()).toEqual({ effect: 'allow', rules: ['r1'], classes: ['read'], tables: ['t'] });
    expect(line()).toEqual({ effect: 'allow', rules: ['r1'], classes: ['read'], tables: ['t'] });
  });

  it('writes mask counts it was given unfrozen anew each time, frozen ones (shared by statements that masked alike) from their first JSON', () => {
    const open = { byColumn: { a: { r: 1 } as Record<string, number> }, byDetector: {} };
    const e: StatementEvent = { type: 'statement', at: 'a', seq: 1, text: 't', durationMs: 0, rowCount: 0, rowsTruncated: false, masked: open };
    expect(eventLine(e)).toBe(reference(e));
    open.byColumn.a.r = 2;
    expect(JSON.parse(eventLine(e)).masked).toEqual({ byColumn: { a: { r: 2 } }, byDetector: {} });
    const frozen = Object.freeze({ byColumn: Object.freeze({ 'a"b': Object.freeze({ r: 3 }) }), byDetector: Object.freeze({ email: 1 }) });
    for (let i = 0; i < 2; i++) expect(eventLine({ ...e, masked: frozen })).toBe(reference({ ...e, masked: frozen }));
  });

  it('writes frozen column names from their first JSON, but anew when the frozen array holds something that could change', () => {
    const e: StatementEvent = { type: 'statement', at: 'a', seq: 1, text: 't', durationMs: 0, rowCount: 0, rowsTruncated: false };
    const names = Object.freeze(['a', 'b"', null]) as string[];
    for (let i = 0; i < 2; i++) expect(eventLine({ ...e, columns: names })).toBe(reference({ ...e, columns: names }));
    const inner = { n: 1 };
    const odd = Object.freeze([inner]) as unknown as string[];
    expect(JSON.parse(eventLine({ ...e, columns: odd })).columns).toEqual([{ n: 1 }]);
    inner.n = 2;
    expect(JSON.parse(eventLine({ ...e, columns: odd })).columns).toEqual([{ n: 2 }]);
    const open = ['a'];
    expect(JSON.parse(eventLine({ ...e, columns: open })).columns).toEqual(['a']);
    open.push('b');
    expect(JSON.parse(eventLine({ ...e, columns: open })).columns).toEqual(['a', 'b']);
  });

  it('writes durations and other numbers as String(n) does: every thousandth up to 200,000 ms, larger ones, and numbers near them', () => {
    const e = (durationMs: number): StatementEvent => ({ type: 'statement', at: 'a', seq: durationMs, text: 't', durationMs, rowCount: 0, rowsTruncated: false });
    const check = (n: number) => {
      const line = eventLine(e(n));
      const want = JSON.stringify(e(n));
      // Compared only on a mismatch: a million expect() calls would take seconds.
      if (line !== want) expect(line).toBe(want);
    };
    for (let k = 0; k <= 200_000; k++) check(k / 1000);
    for (const k of [0x3fffffff, 0x3fffffff + 1, 2 ** 31, 2 ** 53, 1e21 * 1000]) for (const n of [k / 1000, -k / 1000, k / 1000 + 1e-9, k]) check(n);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(1, 10, 100, 1000, 1e4, 1e6), (k, d) => check(k / d)), { numRuns: 20000 });
    for (const n of [-0, 0.1 + 0.2, 1e-7, 5e-324, Number.MAX_VALUE, Number.NaN, Number.NEGATIVE_INFINITY, 0.0005, 0.9995, 1.0005]) check(n);
  });

  it('writes the parts it remembers (timestamp, text, prepared name, command tag, frozen verdicts and columns) byte for byte, however they repeat and alternate', () => {
    // Few distinct values, so that most events repeat a part of the one before (or of one further back).
    const few = fc.constantFrom('a', 'b"', 'x\n', '\ud800', 'é', '');
    const verdicts = [recordedVerdict({ effect: 'allow', rules: [{ id: 'r"1' }] } as never), recordedVerdict({ effect: 'block', rules: [{ id: 'r2' }], statements: [{ class: 'write', tables: [{ name: 't' }] }] } as never)];
    const names = [Object.freeze(['c']) as string[], Object.freeze(['a', 'b\t']) as string[]];
    const repeating: fc.Arbitrary<StatementEvent> = fc.record(
      {
        type: fc.constant('statement' as const),
        at: few,
        seq: fc.nat(),
        text: few,
        params: fc.array(fc.option(few, { nil: null }), { maxLength: 2 }),
        prepared: few,
        durationMs: fc.nat({ max: 5000 }).map((k) => k / 1000),
        commandTag: few,
        columns: fc.constantFrom(...names),
        rows: fc.array(fc.array(fc.option(few, { nil: null }), { maxLength: 2 }), { maxLength: 2 }),
        rowCount: fc.oneof(fc.integer({ min: -1, max: 70 }), fc.constantFrom(-0, 0.5, Number.NaN)),
        rowsTruncated: fc.boolean(),
        verdict: fc.constantFrom(...verdicts),
      },
      { requiredKeys: ['type', 'at', 'seq', 'text', 'durationMs', 'rowCount', 'rowsTruncated'] },
    );
    fc.assert(
      fc.property(fc.array(repeating, { minLength: 1, maxLength: 12 }), (events) => {
        const fresh = new EventLines();
        for (const e of events) expect(lineOf(fresh, e)).toBe(reference(e));
      }),
      { numRuns: 500 },
    );
  });

  it('repeats the remembered timestamp and text only for the same text', () => {
    const e = (at: string, text: string): StatementEvent => ({ type: 'statement', at, seq: 1, text, durationMs: 0, rowCount: 0, rowsTruncated: false });
    for (const [at, t] of [['a', 'x'], ['a', 'x'], ['b"', 'x\n'], ['a', 'x'], ['b"', 'y']] as const) expect(eventLine(e(at, t))).toBe(JSON.stringify(e(at, t)));
  });
});

describe('recordedVerdict', () => {
  it('is frozen, lists included, since every statement it judged shares it', () => {
    const v = recordedVerdict({ effect: 'mask', rules: [{ id: 'r1' }], masks: { columns: [], detectors: [], exempted: [{ rule: 'm', group: 'g' }] }, statements: [{ class: 'read', tables: [{ schema: 's', name: 't' }] }] } as never);
    expect(v).toEqual({ effect: 'mask', rules: ['r1'], exempted: [{ rule: 'm', group: 'g' }], classes: ['read'], tables: ['s.t'] });
    for (const part of [v, v.rules, v.classes, v.tables, v.exempted, v.exempted![0]]) expect(Object.isFrozen(part)).toBe(true);
  });
});
