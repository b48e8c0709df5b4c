import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyTemplates, makeTemplate } from './key-template.ts';
import { initSql, type PgParser } from './parser.ts';
import { createStatementKeys } from './statement-key.ts';

let pg: PgParser;
beforeAll(async () => {
  pg = await initSql();
});

/** Statement keys over the real scanner, counting the texts that went to `normalize`. */
function counting() {
  const c = { normalized: [] as string[], key: (_: string): string => '' };
  c.key = createStatementKeys((text) => {
    c.normalized.push(text);
    return pg.normalize(text);
  }, (text) => pg.scan(text));
  return c;
}

/** What normalize says about `text`: its key, or its error message. */
function truth(text: string): string {
  try {
    return pg.normalize(text);
  } catch (err) {
    return `throws ${(err as Error).message}`;
  }
}
function got(key: (t: string) => string, text: string): string {
  try {
    return key(text);
  } catch (err) {
    return `throws ${(err as Error).message}`;
  }
}

const pgbench = (aid: number) => `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`;

describe('KeyTemplates (a shape with other integers gets its key without normalize)', () => {
  it('the third pgbench text of a shape is not normalized, and gets the same key', () => {
    const c = counting();
    expect(c.key(pgbench(1))).toBe('SELECT abalance FROM pgbench_accounts WHERE aid = $1;');
    c.key(pgbench(22));
    for (const aid of [333, 4444, 0, 999_999_999]) expect(c.key(pgbench(aid))).toBe('SELECT abalance FROM pgbench_accounts WHERE aid = $1;');
    expect(c.normalized).toEqual([pgbench(1), pgbench(22)]);
  });

  it('only integers of 1–9 digits without a leading zero take a place; anything else is normalized', () => {
    const c = counting();
    c.key(pgbench(1));
    c.key(pgbench(2));
    const others = ['0x1F', '0o7', '0b1', '1_000', '1.5', '1e5', '-5', "'5'", '007', '1234567890', '12345678901234567890', '$1', '5 OR true', '5abc', ''];
    for (const v of others) {
      const text = `SELECT abalance FROM pgbench_accounts WHERE aid = ${v};`;
      expect(got(c.key, text), text).toBe(truth(text));
    }
    expect(c.normalized.length).toBe(2 + others.length);
  });

  it('a type modifier or a literal the key does not replace stays part of the shape', () => {
    const c = counting();
    c.key('select x::varchar(10) from t where y = 1');
    c.key('select x::varchar(10) from t where y = 2');
    expect(c.key('select x::varchar(10) from t where y = 3')).toBe('select x::varchar(10) from t where y = $1');
    expect(c.key('select x::varchar(20) from t where y = 3')).toBe('select x::varchar(20) from t where y = $1');
    expect(c.normalized.length).toBe(3);
  });

  it('makes no template from a text with a string, a negative or a non-ASCII part, or an unscannable text', () => {
    for (const text of ["select * from t where a = 'x' and b = 5", 'select * from t where a = -5', 'select * from t where a = - 5', "select 'é', 5", "select 5 from t where a = 'x"]) {
      let key: string;
      try {
        key = pg.normalize(text);
      } catch {
        continue;
      }
      expect(makeTemplate(text, key, pg.scan), text).toBeUndefined();
    }
    expect(makeTemplate('select 5, (7) from t', 'select $1, ($2) from t', pg.scan)).toEqual({ key: 'select $1, ($2) from t', fixed: ['select ', ', (', ') from t'] });
  });

  it('keeps up to 4 shapes, replacing the oldest', () => {
    const t = new KeyTemplates(2);
    const shapes = ['select a from t where id = ', 'select b from t where id = ', 'select c from t where id = '];
    for (const s of shapes) for (const n of [1, 2]) t.learn(`${s}${n}`, pg.normalize(`${s}${n}`), pg.scan);
    expect(t.match(`${shapes[0]}9`)).toBeUndefined();
    expect(t.match(`${shapes[1]}9`)).toBe(`${shapes[1]}$1`);
    expect(t.match(`${shapes[2]}9`)).toBe(`${shapes[2]}$1`);
  });

  it('property: whatever the shape and the values, the key is what normalize gives', () => {
    // Shapes with integer places in many neighbourhoods; values of every form, some of them traps.
    const shapes = [
      'SELECT abalance FROM pgbench_accounts WHERE aid = {}',
      'select {}, {} from t',
      'select * from t where a in ({},{}, {})',
      'select x::varchar({}) from t where y = {}',
      'select x::numeric({}, {}) from t',
      'select a -{} from t',
      'select a - {} from t',
      'select -{} from t',
      'select +{} from t',
      'select {}::int, {}',
      'select a[{}] from t',
      'select a[{}:{}] from t',
      'select * from t limit {} offset {}',
      'select * from t where a>{} and b<={} or c<>{}',
      'select {}/{}*{}%{}',
      'select {}--{}\n, 1',
      'select /* {} */ {}',
      'select "{}", {}',
      "select '{}', {}",
      'select $1, {} from t where b = $2',
      'fetch {} from c',
      'select {}\tfrom\nt',
      'select interval \'1\' second({}), {}',
      'select float({}) , {}',
      'values ({}), ({})',
      'update t set a = {} where id = {}',
      'select {};select {}',
    ];
    const value = fc.oneof(
      fc.integer({ min: 0, max: 999_999_999 }).map(String),
      fc.integer({ min: 0, max: 99 }).map(String),
      fc.constantFrom('0', '00', '007', '0x1F', '0o7', '0b1', '1_000', '1.5', '1e5', '5e', '.5', '5.', '-5', '- 5', "'5'", '1234567890', '2147483648', '99999999999999999999', '$1', '5abc', 'a5', '', ' ', '5 5', 'ALL', 'null'),
    );
    const fill = (shape: string, vs: string[]) => shape.split('{}').reduce((a, part, i) => a + vs[i - 1]! + part);
    let skipped = 0;
    fc.assert(
      fc.property(fc.constantFrom(...shapes), fc.array(fc.array(value, { minLength: 6, maxLength: 6 }), { minLength: 3, maxLength: 6 }), (shape, fills) => {
        const c = counting();
        for (const vs of fills) {
          const text = fill(shape, vs);
          expect(got(c.key, text), text).toBe(truth(text));
        }
        skipped += fills.length - c.normalized.length;
      }),
      { numRuns: 600 },
    );
    // Not vacuous: many texts took the template path.
    expect(skipped).toBeGreaterThan(200);
  });
});
