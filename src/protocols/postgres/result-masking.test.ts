import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.ts';
import { createMaskingServices } from '../../core/masking/service.ts';
import type { MaskingCatalog } from '../../core/masking/views.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { StatementEvent } from '../../core/recording/types.ts';
import type { MaskingServices } from '../../core/services.ts';
import { initSql, type PgParser } from '../../core/sql/parser.ts';
import { createStatementKeys } from '../../core/sql/statement-key.ts';
import { ChunkWriter } from './codec/chunk-writer.ts';
import { message } from './codec/message.ts';
import { dataRowValues } from './codec/results.ts';
import { StatementTracker } from './events.ts';
import { dataRow } from '../../../test/helpers/pg-data-row.ts';

let masking: MaskingServices;
beforeAll(async () => {
  masking = createMaskingServices(await initSql(), Buffer.alloc(32, 1), systemClock);
});

// Every relation is a table of schema public.
const catalog: MaskingCatalog = { relations: async (names) => names.map((n) => ({ schema: 'public', name: n.name, definition: undefined })), close: () => undefined };
const mask: Verdict = {
  effect: 'mask',
  rules: [],
  masks: { columns: [{ column: '*.accounts.balance', strategy: 'redact', rule: 'money' }], detectors: [], exempted: [] },
};
const row = (...values: string[]) => {
  const body = Buffer.concat([Buffer.from([0, values.length]), ...values.map((v) => Buffer.concat([Buffer.from([0, 0, 0, Buffer.byteLength(v)]), Buffer.from(v)]))]);
  return message('D', body);
};
const column = (name: string) => ({ name, tableOid: 16400, attributeNumber: 1, typeOid: 25, format: 0 });

/** Parse (name, text) + Describe, then per value a Bind/Describe portal/Execute/Sync answered by one row, as libpq's prepared mode does. */
async function preparedRuns(tracker: StatementTracker, name: string, text: string, values: string[]): Promise<string[]> {
  tracker.parse(name, text, mask);
  await tracker.learn(text, mask);
  const shown: string[] = [];
  for (const v of values) {
    tracker.bind('', name, [], []);
    tracker.describe('P', '');
    tracker.execute('');
    await tracker.learnPortal('');
    tracker.sync();
    tracker.rowDescription([column('x')]);
    const d = row(v);
    const out = new ChunkWriter();
    out.begin(d);
    tracker.dataRow(d, 0, d.length, out);
    shown.push(dataRowValues(out.finish(), 0, undefined)[0]!);
    tracker.commandComplete('SELECT 1');
    tracker.readyForQuery(0x49);
  }
  return shown;
}

describe('masking of prepared statements executed again (maskers reused per statement)', () => {
  it('each execution masks and counts its own rows; a statement parsed again with another text is masked by its new lineage', async () => {
    const events: StatementEvent[] = [];
    const tracker = new StatementTracker((e) => events.push(e), { maxRows: 10, maxBytes: 65536 }, systemClock, masking, masking.session(catalog));
    expect(await preparedRuns(tracker, 's1', 'SELECT balance AS x FROM accounts WHERE id = $1', ['10', '20', '30'])).toEqual(['****', '****', '****']);
    // The same name and result column, now the id: nothing of the earlier statement's decisions applies.
    expect(await preparedRuns(tracker, 's1', 'SELECT id AS x FROM accounts WHERE id = $1', ['1', '2'])).toEqual(['1', '2']);
    expect(await preparedRuns(tracker, 's1', 'SELECT balance AS x FROM accounts WHERE id = $1', ['40'])).toEqual(['****']);
    expect(events.map((e) => e.rows)).toEqual([[['****']], [['****']], [['****']], [['1']], [['2']], [['****']]]);
    // One masked value per execution, never an earlier execution's counts carried over.
    expect(events.map((e) => e.masked)).toEqual([
      { byColumn: { x: { money: 1 } }, byDetector: {} },
      { byColumn: { x: { money: 1 } }, byDetector: {} },
      { byColumn: { x: { money: 1 } }, byDetector: {} },
      undefined, // no column of the result to mask, no detector: no masker at all
      undefined,
      { byColumn: { x: { money: 1 } }, byDetector: {} },
    ]);
  });
});

describe('mask counts shared between statements (frozen, recorded once as JSON)', () => {
  it('a simple Query whose two results mask alike sums their counts into its own copy, leaving the shared counts of earlier statements as they were', async () => {
    const events: StatementEvent[] = [];
    const tracker = new StatementTracker((e) => events.push(e), { maxRows: 10, maxBytes: 65536 }, systemClock, masking, masking.session(catalog));
    await preparedRuns(tracker, 's1', 'SELECT balance AS x FROM accounts WHERE id = $1', ['10', '20']);
    expect(events[1]!.masked).toBe(events[0]!.masked); // the same counts, handed out again
    const text = 'SELECT balance AS x FROM accounts WHERE id = 1; SELECT balance AS x FROM accounts WHERE id = 2;';
    await tracker.learn(text, mask);
    tracker.query(text, mask);
    for (const v of ['30', '40']) {
      tracker.rowDescription([column('x')]);
      const d = row(v);
      const out = new ChunkWriter();
      out.begin(d);
      tracker.dataRow(d, 0, d.length, out);
      expect(dataRowValues(out.finish(), 0, undefined)[0]).toBe('****');
      tracker.commandComplete('SELECT 1');
    }
    tracker.readyForQuery(0x49);
    expect(events.map((e) => e.masked)).toEqual([
      { byColumn: { x: { money: 1 } }, byDetector: {} },
      { byColumn: { x: { money: 1 } }, byDetector: {} },
      { byColumn: { x: { money: 2 } }, byDetector: {} },
    ]);
  });
});

describe('rows whose every column a rule hides whole (a fixed masked row)', () => {
  it('are sent as the rows masked one by one would be, and recorded as one shared frozen row; a row with a NULL or another column count is masked value by value', async () => {
    const hidden: Verdict = {
      effect: 'mask',
      rules: [],
      masks: {
        columns: [
          { column: '*.accounts.balance', strategy: 'redact', rule: 'money' },
          { column: '*.accounts.ssn', strategy: 'null', rule: 'ssn' },
        ],
        detectors: [{ name: 'email', strategy: 'redact', rule: 'det' }],
        exempted: [],
      },
    };
    const events: StatementEvent[] = [];
    const tracker = new StatementTracker((e) => events.push(e), { maxRows: 10, maxBytes: 65536 }, systemClock, masking, masking.session(catalog));
    const text = 'SELECT balance, ssn FROM accounts';
    await tracker.learn(text, hidden);
    tracker.query(text, hidden);
    tracker.rowDescription(Object.freeze([column('balance'), column('ssn')]) as ReturnType<typeof column>[]);
    const shown = [['10', 'a@b.co'], ['200', '123-45-6789'], ['30', null], ['40', 'x', 'c@d.co']].map((values) => {
      const d = dataRow(values);
      const out = new ChunkWriter();
      out.begin(d);
      tracker.dataRow(d, 0, d.length, out);
      return out.finish();
    });
    tracker.commandComplete('SELECT 4');
    tracker.readyForQuery(0x49);
    expect(shown).toEqual([dataRow(['****', null]), dataRow(['****', null]), dataRow(['****', null]), dataRow(['****', null, '****'])]);
    const rows = events[0]!.rows!;
    expect(rows).toEqual([['****', null], ['****', null], ['****', null], ['****', null, '****']]);
    expect(rows[1]).toBe(rows[0]);
    expect(Object.isFrozen(rows[0])).toBe(true);
    expect(rows[2]).not.toBe(rows[0]);
    expect(events[0]!.masked).toEqual({ byColumn: { balance: { money: 4 }, ssn: { ssn: 3 } }, byDetector: { email: 1 } });
  });
});

describe('the simple protocol\'s hot path', () => {
  it('a text whose statement key was seen before is learned with no promise (nothing to await) and no parse; its rows are masked', async () => {
    const pg = await initSql();
    let parses = 0;
    const counted: PgParser = {
      ...pg,
      parse: (text: string) => {
        parses++;
        return pg.parse(text);
      },
      statementKey: createStatementKeys(pg.normalize),
    };
    const services = createMaskingServices(counted, Buffer.alloc(32, 1), systemClock);
    const events: StatementEvent[] = [];
    const tracker = new StatementTracker((e) => events.push(e), { maxRows: 10, maxBytes: 65536 }, systemClock, services, services.session(catalog));
    const run = (id: number) => {
      const text = `SELECT balance AS x FROM accounts WHERE id = ${id};`;
      counted.statementKey(text); // classification computed it first, as in the gateway
      const learning = tracker.learn(text, mask);
      tracker.query(text, mask);
      tracker.rowDescription([column('x')]);
      const d = row(String(id));
      const out = new ChunkWriter();
      out.begin(d);
      tracker.dataRow(d, 0, d.length, out);
      tracker.commandComplete('SELECT 1');
      tracker.readyForQuery(0x49);
      return { learning, shown: dataRowValues(out.finish(), 0, undefined)[0] };
    };
    const first = run(1);
    expect(first.learning).toBeInstanceOf(Promise); // the catalog is asked once
    await first.learning;
    run(2);
    const parsed = parses;
    for (let id = 3; id < 10; id++) {
      const r = run(id);
      expect(r.learning).toBeUndefined();
      expect(r.shown).toBe('****');
    }
    expect(parses).toBe(parsed);
    expect(events.at(-1)!.masked).toEqual({ byColumn: { x: { money: 1 } }, byDetector: {} });
  });
});
