import { beforeAll, describe, expect, it } from 'vitest';
import { initSql } from '../sql/parser.ts';
import type { PgParser } from '../sql/parser.ts';
import { lineageOf } from './lineage.ts';
import { createRowMasker } from './row-masker.ts';
import { ShapeCache } from './shape-cache.ts';
import { applyStrategy } from './strategies.ts';
import type { MaskPlan } from './types.ts';

let pg: PgParser;
beforeAll(async () => {
  pg = await initSql();
});

const plan: MaskPlan = {
  columns: [
    { column: 'public.customers.card', strategy: 'partial', rule: 'cards' },
    { name: '*email*', strategy: 'hash', rule: 'emails' },
    { column: '*.customers.ssn', strategy: 'null', rule: 'ssn' },
  ],
  detectors: [],
  exempted: [],
};

const forQuery = (sql: string, columns: { name: string }[]) => {
  const m = createRowMasker({ plan, hashKey: 'install-key', lineage: lineageOf(pg, sql)[0] });
  m.shape(columns);
  return m;
};

describe('createRowMasker', () => {
  it('decides each frozen columns array it is given, the same one again without asking, another one afresh', () => {
    const m = createRowMasker({ plan, hashKey: 'install-key', shapes: new ShapeCache() });
    const emails = Object.freeze([Object.freeze({ name: 'work_email' })]);
    const ids = Object.freeze([Object.freeze({ name: 'id' })]);
    for (const columns of [emails, emails, ids, ids, emails, ids]) {
      m.shape(columns);
      expect(m.row(['a@b.co'])[0], columns[0]!.name).toBe(columns === emails ? applyStrategy('hash', 'a@b.co', 'install-key') : 'a@b.co');
    }
    expect(m.counts().byColumn).toEqual({ work_email: { emails: 3 } });
  });

  it('masks by protocol column metadata and by column-name glob', () => {
    const m = createRowMasker({ plan, hashKey: 'install-key' });
    m.shape([
      { name: 'id' },
      { name: 'card', table: { schema: 'public', name: 'customers' }, column: 'card' },
      { name: 'work_email' },
      { name: 'x', table: { schema: 'crm', name: 'customers' }, column: 'ssn' },
    ]);
    const out = m.row(['1', '4111111111111111', 'a@b.co', '123-45-6789']);
    expect(out[0]).toBe('1');
    expect(out[1]).toBe('****1111');
    expect(out[2]).toBe(applyStrategy('hash', 'a@b.co', 'install-key'));
    expect(out[2]).toMatch(/^h:[0-9a-f]{16}$/);
    expect(out[3]).toBeNull();
    expect(m.row(['2', null, null, null])).toEqual(['2', null, null, null]);
    expect(m.counts()).toEqual({ byColumn: { card: { cards: 1 }, work_email: { emails: 1 }, x: { ssn: 1 } }, byDetector: {}, rows: 2 });
    expect(JSON.stringify(m.counts())).not.toContain('4111');
  });

  it('hash is deterministic per key', () => {
    expect(applyStrategy('hash', 'v', 'k1')).toBe(applyStrategy('hash', 'v', 'k1'));
    expect(applyStrategy('hash', 'v', 'k1')).not.toBe(applyStrategy('hash', 'v', 'k2'));
  });

  it.each([
    ['SELECT reverse(card) FROM public.customers', 'partial'],
    ['SELECT substr(card, 1, 8) AS p FROM customers', 'partial'],
    ["SELECT card || '' FROM customers", 'partial'],
    ['SELECT c.card::text FROM customers c', 'partial'],
    ["SELECT encode(email::bytea, 'base64') FROM users", 'hash'],
    ['SELECT upper(x) FROM (SELECT email AS x FROM users) s', 'hash'],
    ['WITH t AS (SELECT card AS n FROM customers) SELECT lower(n) FROM t', 'partial'],
    ['SELECT (SELECT max(card) FROM customers)', 'partial'],
    ['SELECT row_to_json(c) FROM customers c', 'null'],
    ['SELECT id FROM a UNION SELECT card FROM customers', 'partial'],
    ['COPY (SELECT card FROM customers) TO STDOUT', 'partial'],
  ])('lineage: %s is masked (%s)', (sql, strategy) => {
    const m = forQuery(sql, [{ name: 'out' }]);
    const expected = applyStrategy(strategy as 'partial', '4111111111111111', 'install-key');
    expect(m.row(['4111111111111111'])[0]).toBe(expected);
  });

  it('aligns columns around a star', () => {
    const m = forQuery('SELECT id, *, reverse(card) FROM public.customers', [{ name: 'id' }, { name: 'name' }, { name: 'card' }, { name: 'reverse' }]);
    const out = m.row(['1', 'x', '4111111111111111', '1111111111111114']);
    expect(out[0]).toBe('1');
    expect(out[3]).toBe('****1114');
    // the columns `*` expanded to are the table's columns of those names: only the card is masked
    expect(out[1]).toBe('x');
    expect(out[2]).toBe('****1111');
  });

  it('does nothing (same array) when no rule applies and no detector is on', () => {
    const m = forQuery('SELECT id, name FROM orders', [{ name: 'id' }, { name: 'name' }]);
    expect(m.active).toBe(false);
    const row = ['1', 'bob'];
    expect(m.row(row)).toBe(row);
  });

  it('a shape whose every column a rule hides whole (redact, null) has a fixed row: what `row` shows and counts for any row without NULLs', () => {
    const withDetectors: MaskPlan = { ...plan, columns: [...plan.columns, { name: 'balance', strategy: 'redact', rule: 'money' }], detectors: [{ name: 'email', strategy: 'redact', rule: 'det' }] };
    const columns = Object.freeze([Object.freeze({ name: 'balance' }), Object.freeze({ name: 'x', table: { schema: 'crm', name: 'customers' }, column: 'ssn' })]);
    const byRow = createRowMasker({ plan: withDetectors, hashKey: 'k', shapes: new ShapeCache() });
    const byFixed = createRowMasker({ plan: withDetectors, hashKey: 'k', shapes: new ShapeCache() });
    byRow.shape(columns);
    byFixed.shape(columns);
    const rows = [['10', '123-45-6789'], ['a@b.co', '****']];
    for (const r of rows) {
      expect(byFixed.fixedRow).toEqual(byRow.row(r));
      byFixed.fixedRowShown();
    }
    expect(byFixed.fixedRow).toEqual(['****', null]);
    expect(Object.isFrozen(byFixed.fixedRow)).toBe(true);
    expect(byFixed.counts()).toEqual(byRow.counts());
    expect(byFixed.counts()).toEqual({ byColumn: { balance: { money: 2 }, x: { ssn: 2 } }, byDetector: {}, rows: 2 });
  });

  it.each([
    ['a column left to the detectors', [{ name: 'balance' }, { name: 'note' }]],
    ['a hashed column', [{ name: 'balance' }, { name: 'work_email' }]],
    ['a partial column', [{ name: 'balance' }, { name: 'card', table: { schema: 'public', name: 'customers' }, column: 'card' }]],
  ])('no fixed row with %s', (_, columns) => {
    const m = createRowMasker({ plan: { ...plan, columns: [...plan.columns, { name: 'balance', strategy: 'redact', rule: 'money' }] }, hashKey: 'k' });
    m.shape(columns);
    expect(m.active).toBe(true);
    expect(m.fixedRow).toBeUndefined();
  });

  it('columns with a rule win over detectors; other columns go through detectors', () => {
    const m = createRowMasker({ plan: { ...plan, detectors: [{ name: 'card', strategy: 'redact', rule: 'det' }] }, hashKey: 'k' });
    m.shape([{ name: 'note' }, { name: 'email' }]);
    expect(m.row(['paid with 4111111111111111', 'a@b.co'])).toEqual(['paid with ****', applyStrategy('hash', 'a@b.co', 'k')]);
    expect(m.counts().byDetector).toEqual({ card: 1 });
  });
});

describe('detectors with lineage: split and transformed values', () => {
  const detectorsOnly = (strategy: 'redact' | 'partial' | 'hash' | 'null' = 'redact'): MaskPlan => ({
    columns: [],
    detectors: (['card', 'ssn', 'iban', 'email'] as const).map((name) => ({ name, strategy, rule: 'det' })),
    exempted: [],
  });
  const masked = (sql: string, columns: { name: string; text?: boolean }[], row: (string | null)[], p = detectorsOnly()) => {
    const m = createRowMasker({ plan: p, hashKey: 'k', lineage: lineageOf(pg, sql)[0] });
    m.shape(columns);
    return { out: m.row(row), counts: m.counts() };
  };
  const named = (...names: string[]) => names.map((name) => ({ name, text: true }));

  it('a value split across columns of one source hides every part it touches', () => {
    const { out, counts } = masked('select substr(ssn, 1, 6) as a, name, substr(ssn, 7) as b, id from t', named('a', 'name', 'b', 'id'), ['536-22', 'Alice', '-8419', '7']);
    expect(out).toEqual(['****', 'Alice', '****', '7']);
    expect(counts.byDetector).toEqual({ ssn: 1 });
  });

  it('in either order, and a card over three columns joined in output order', () => {
    expect(masked('select substr(ssn, 7) as b, substr(ssn, 1, 6) as a from t', named('b', 'a'), ['-8419', '536-22']).out).toEqual(['****', '****']);
    const card = 'select substr(card, 1, 5) as a, substr(card, 6, 5) as b, substr(card, 11) as c from t';
    expect(masked(card, named('a', 'b', 'c'), ['41111', '11111', '111111'])).toMatchObject({ out: ['****', '****', '****'], counts: { byDetector: { card: 1 } } });
    // found by several join orders (a+b, a+b+c), counted once
    const ssn = "select substr(ssn, 1, 6) as a, substr(ssn, 7) as b, left(ssn, 0) || ' ' as c from t";
    expect(masked(ssn, named('a', 'b', 'c'), ['536-22', '-8419', ' '])).toMatchObject({ out: ['****', '****', ' '], counts: { byDetector: { ssn: 1 } } });
  });

  it('partial becomes redact for parts (the tail of a part would show more); null and hash apply as they are', () => {
    const sql = 'select substr(ssn, 1, 6) as a, substr(ssn, 7) as b from t';
    expect(masked(sql, named('a', 'b'), ['536-22', '-8419'], detectorsOnly('partial')).out).toEqual(['****', '****']);
    expect(masked(sql, named('a', 'b'), ['536-22', '-8419'], detectorsOnly('null')).out).toEqual([null, null]);
    expect(masked(sql, named('a', 'b'), ['536-22', '-8419'], detectorsOnly('hash')).out).toEqual([applyStrategy('hash', '536-22', 'k'), applyStrategy('hash', '-8419', 'k')]);
  });

  it('a match inside one part is left to that column; a null part joins nothing', () => {
    const sql = 'select ssn as a, substr(ssn, 1, 3) as b from t';
    expect(masked(sql, named('a', 'b'), ['536-22-8419', '536']).out).toEqual(['****', '536']);
    expect(masked('select substr(ssn, 1, 6) as a, substr(ssn, 7) as b from t', named('a', 'b'), ['536-22', null]).out).toEqual(['536-22', null]);
  });

  it('unrelated columns are not joined, even when their join looks like a card', () => {
    expect(masked('select substr(a, 1) as a, substr(b, 1) as b from t', named('a', 'b'), ['41111111', '11111111']).out).toEqual(['41111111', '11111111']);
    expect(masked('select a, b from t', named('a', 'b'), ['41111111', '11111111']).out).toEqual(['41111111', '11111111']);
  });

  it('without lineage nothing is joined', () => {
    const m = createRowMasker({ plan: detectorsOnly(), hashKey: 'k' });
    m.shape(named('a', 'b'));
    expect(m.row(['536-22', '-8419'])).toEqual(['536-22', '-8419']);
  });

  it('a transformed text column gets the lenient detectors', () => {
    const { out, counts } = masked("select lower(iban) as i, replace(ssn, '-', '') as s, lower(name) as n from t", named('i', 's', 'n'), ['gb82west12345698765432', '536228419', 'alice']);
    expect(out).toEqual(['****', '****', 'alice']);
    expect(counts.byDetector).toEqual({ iban: 1, ssn: 1 });
  });

  it('plain columns keep the strict detectors: a 9-digit ID, a lower-case IBAN as stored, a cast', () => {
    const sql = 'select id, code, c.iban, code::text as t from t c';
    expect(masked(sql, named('id', 'code', 'iban', 't'), ['536228419', '536228419', 'gb82west12345698765432', '536228419']).out).toEqual([
      '536228419',
      '536228419',
      'gb82west12345698765432',
      '536228419',
    ]);
    // through a derived table whose column is as stored, still plain; one that computes, transformed
    expect(masked('select x from (select code as x from t) s', named('x'), ['536228419']).out).toEqual(['536228419']);
    expect(masked('select x from (select trim(code) as x from t) s', named('x'), ['536228419']).out).toEqual(['****']);
  });

  it('the 9-digit SSN rule is for text columns only; the any-case IBAN for every type', () => {
    const sql = "select id + 0 as n, replace(ssn, '-', '')::bigint as s, to_json(lower(iban)) as j from t";
    const columns = [
      { name: 'n', text: false },
      { name: 's', text: false },
      { name: 'j', text: false },
    ];
    expect(masked(sql, columns, ['536228419', '536228419', '"gb82west12345698765432"']).out).toEqual(['536228419', '536228419', '"****"']);
    // a type the protocol cannot tell (COPY lines) counts as text
    expect(masked(sql, [{ name: 'n' }, { name: 's' }, { name: 'j' }], ['536228419', '536228419', 'x']).out).toEqual(['****', '****', 'x']);
  });

  it('a column with a column rule is neither joined nor read leniently', () => {
    const p: MaskPlan = { ...detectorsOnly(), columns: [{ column: '*.t.ssn', strategy: 'hash', rule: 'ssn' }] };
    const { out, counts } = masked('select substr(ssn, 1, 6) as a, substr(ssn, 7) as b, lower(iban) as i from t', named('a', 'b', 'i'), ['536-22', '-8419', 'gb82west12345698765432'], p);
    expect(out).toEqual([applyStrategy('hash', '536-22', 'k'), applyStrategy('hash', '-8419', 'k'), '****']);
    expect(counts.byDetector).toEqual({ iban: 1 });
  });
});
