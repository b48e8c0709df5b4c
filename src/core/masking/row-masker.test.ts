import { beforeAll, describe, expect, it } from 'vitest';
import { initSql } from '../sql/parser.ts';
import type { PgParser } from '../sql/parser.ts';
import { lineageOf } from './lineage.ts';
import { createRowMasker } from './row-masker.ts';
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

  it('columns with a rule win over detectors; other columns go through detectors', () => {
    const m = createRowMasker({ plan: { ...plan, detectors: [{ name: 'card', strategy: 'redact', rule: 'det' }] }, hashKey: 'k' });
    m.shape([{ name: 'note' }, { name: 'email' }]);
    expect(m.row(['paid with 4111111111111111', 'a@b.co'])).toEqual(['paid with ****', applyStrategy('hash', 'a@b.co', 'k')]);
    expect(m.counts().byDetector).toEqual({ card: 1 });
  });
});
