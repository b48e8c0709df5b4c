import { beforeAll, describe, expect, it } from 'vitest';
import { initSql } from '../sql/parser.ts';
import type { PgParser } from '../sql/parser.ts';
import { lineageOf } from './lineage.ts';
import { MaskerPool } from './masker-pool.ts';
import { ownCounts } from './row-masker.ts';
import { ShapeCache } from './shape-cache.ts';
import type { MaskPlan } from './types.ts';

let pg: PgParser;
beforeAll(async () => {
  pg = await initSql();
});

const plan: MaskPlan = {
  columns: [
    { column: '*.accounts.balance', strategy: 'redact', rule: 'money' },
    { name: '*email*', strategy: 'null', rule: 'emails' },
  ],
  detectors: [{ name: 'card', strategy: 'redact', rule: 'cards' }],
  exempted: [],
};
const other: MaskPlan = { columns: [{ name: 'x', strategy: 'redact', rule: 'xs' }], detectors: [], exempted: [] };

describe('MaskerPool', () => {
  it('hands the same masker to the next result of the statement once the counts were read, starting from zero', () => {
    const pool = new MaskerPool('k', new ShapeCache());
    const lineage = lineageOf(pg, 'SELECT balance AS x, email FROM accounts')[0];
    const first = pool.get(plan, lineage);
    first.shape([{ name: 'x' }, { name: 'email' }]);
    expect(first.row(['10', 'a@b.co'])).toEqual(['****', null]);
    expect(first.row(['4111 1111 1111 1111', null])).toEqual(['****', null]);
    expect(first.takeCounts()).toEqual({ byColumn: { x: { money: 2 }, email: { emails: 1 } }, byDetector: {} });
    const second = pool.get(plan, lineage);
    expect(second).toBe(first);
    second.shape([{ name: 'x' }, { name: 'email' }]);
    second.row(['11', null]);
    // Nothing of the first result's counts: not the columns, nor the rows.
    expect(second.counts()).toEqual({ byColumn: { x: { money: 1 } }, byDetector: {}, rows: 1 });
  });

  it('a reused masker given another shape decides it anew: no decision or count of the earlier shape carries over', () => {
    const pool = new MaskerPool('k', new ShapeCache());
    const m = pool.get(plan, undefined);
    m.shape([{ name: 'email' }, { name: 'note' }]);
    expect(m.row(['a@b.co', 'n'])).toEqual([null, 'n']);
    m.addCountsTo({ byColumn: {}, byDetector: {} });
    const again = pool.get(plan, undefined);
    expect(again).toBe(m);
    // Same plan, columns swapped and renamed: `email` is now the second column, the first one is left to the detectors.
    again.shape([{ name: 'note' }, { name: 'work_email' }]);
    expect(again.row(['4111 1111 1111 1111', 'a@b.co'])).toEqual(['****', null]);
    expect(again.counts()).toEqual({ byColumn: { work_email: { emails: 1 } }, byDetector: { card: 1 }, rows: 1 });
    // Back to the first shape (a cached decision): still decided for it, counts go on from this result's.
    again.shape([{ name: 'email' }, { name: 'note' }]);
    expect(again.row(['e@f.io', 'plain'])).toEqual([null, 'plain']);
    expect(again.counts()).toEqual({ byColumn: { work_email: { emails: 1 }, email: { emails: 1 } }, byDetector: { card: 1 }, rows: 2 });
  });

  it('a masker whose result is still going (counts not read) is never handed out twice', () => {
    const pool = new MaskerPool('k', new ShapeCache());
    const a = pool.get(plan, undefined);
    a.shape([{ name: 'email' }]);
    const b = pool.get(plan, undefined);
    expect(b).not.toBe(a);
    b.shape([{ name: 'email' }]);
    a.row(['a@b.co']);
    expect(b.counts()).toEqual({ byColumn: {}, byDetector: {}, rows: 0 });
    expect(a.counts()).toEqual({ byColumn: { email: { emails: 1 } }, byDetector: {}, rows: 1 });
  });

  it('another plan or another lineage (a prepared statement parsed again with another text) gets another masker', () => {
    const pool = new MaskerPool('k', new ShapeCache());
    const balance = lineageOf(pg, 'SELECT balance AS x FROM accounts')[0];
    const id = lineageOf(pg, 'SELECT id AS x FROM accounts')[0];
    const m = pool.get(plan, balance);
    m.shape([{ name: 'x' }]);
    expect(m.row(['10'])).toEqual(['****']);
    m.takeCounts();
    const n = pool.get(plan, id);
    expect(n).not.toBe(m);
    n.shape([{ name: 'x' }]);
    expect(n.row(['10'])).toEqual(['10']);
    const o = pool.get(other, balance);
    expect(o).not.toBe(m);
    o.shape([{ name: 'x' }]);
    expect(o.row(['10'])).toEqual(['****']);
    expect(o.counts().byColumn).toEqual({ x: { xs: 1 } });
  });

  it('counts taken are frozen and stay as taken: the masker counts its next result into new objects, added to a copy', () => {
    const pool = new MaskerPool('k', new ShapeCache());
    const m = pool.get(plan, undefined);
    m.shape([{ name: 'email' }]);
    m.row(['a@b.co']);
    const taken = m.takeCounts();
    expect(Object.isFrozen(taken) && Object.isFrozen(taken.byColumn) && Object.isFrozen(taken.byColumn.email) && Object.isFrozen(taken.byDetector)).toBe(true);
    expect(pool.get(plan, undefined)).toBe(m);
    m.shape([{ name: 'email' }]);
    m.row(['c@d.io']);
    m.row(['e@f.io']);
    expect(taken).toEqual({ byColumn: { email: { emails: 1 } }, byDetector: {} });
    const sum = ownCounts(taken);
    m.addCountsTo(sum);
    expect(sum).toEqual({ byColumn: { email: { emails: 3 } }, byDetector: {} });
    expect(taken).toEqual({ byColumn: { email: { emails: 1 } }, byDetector: {} });
  });

  it('hands out the same counts object for results of one shape that masked alike, and new ones when they did not', () => {
    const pool = new MaskerPool('k', new ShapeCache());
    const columns = Object.freeze([Object.freeze({ name: 'x' }), Object.freeze({ name: 'email' })]);
    const result = (rows: (string | null)[][]) => {
      const m = pool.get(plan, undefined);
      m.shape(columns);
      for (const r of rows) m.row(r);
      return m.takeCounts();
    };
    const first = result([['1', 'a@b.co']]);
    expect(first).toEqual({ byColumn: { email: { emails: 1 } }, byDetector: {} });
    expect(result([['2', 'c@d.io']])).toBe(first);
    // Other hits, a detector hit, another shape: counted anew, and right.
    expect(result([['3', 'a@b.co'], ['4', 'c@d.io']])).toEqual({ byColumn: { email: { emails: 2 } }, byDetector: {} });
    expect(result([['4111 1111 1111 1111', 'a@b.co']])).toEqual({ byColumn: { email: { emails: 1 } }, byDetector: { card: 1 } });
    const again = result([['5', 'e@f.io']]);
    expect(again).toEqual({ byColumn: { email: { emails: 1 } }, byDetector: {} });
    expect(result([['6', null]])).toEqual({ byColumn: {}, byDetector: {} });
    const m = pool.get(plan, undefined);
    m.shape([{ name: 'email' }]);
    m.row(['a@b.co']);
    m.shape(columns);
    m.row(['7', 'c@d.io']);
    expect(m.takeCounts()).toEqual({ byColumn: { email: { emails: 2 } }, byDetector: {} });
  });
});
