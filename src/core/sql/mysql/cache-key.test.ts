import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classificationKey } from './cache-key.ts';
import { classifyUncached } from './classifier.ts';
import { createMysqlParser } from './parser.ts';

describe('MySQL classification cache key', () => {
  it('replaces integer literals in code only', () => {
    expect(classificationKey('SELECT c FROM sbtest1 WHERE id=4711')).toBe('SELECT c FROM sbtest1 WHERE id=0');
    expect(classificationKey("select 12, 'a 12', \"12\", `t12`, t12, 1.5, .5, 1e5, 0x1f, 12abc, @v1 limit 10")).toBe("select 0, 'a 12', \"12\", `t12`, t12, 1.5, .5, 1e5, 0x1f, 12abc, @v1 limit 0");
    expect(classificationKey("select 'it''s 1', 2")).toBe("select 'it''s 1', 0");
    expect(classificationKey('select 1234567890123456789')).toBe('select 1234567890123456789');
  });

  it('leaves texts with comments or backslashes as they are', () => {
    for (const t of ['/*!50000 DROP TABLE t1 */ select 1', 'select 1 --1', 'select 1 # 2', "select 'a\\' , 1"]) expect(classificationKey(t)).toBe(t);
  });

  it('maps texts only to keys whose classification is the same', () => {
    const parser = createMysqlParser();
    const shapes = [
      'select c from t where id = N',
      'update t set a = N where id = N',
      'delete from t where id in (N, N)',
      'set global max_connections = N',
      'set sql_mode = N',
      'kill N',
      'select sleep(N)',
      'select * from t limit N, N',
      "insert into t values (N, 'x N')",
      'drop table tN',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...shapes), fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), (shape, ns) => {
        let k = 0;
        const text = shape.replace(/N/g, () => String(ns[k++ % ns.length]));
        const key = classificationKey(text);
        const strip = (xs: ReturnType<typeof classifyUncached>) => xs.map(({ reasons: _r, error: _e, ...rest }) => rest);
        expect(strip(classifyUncached(parser, key))).toEqual(strip(classifyUncached(parser, text)));
      }),
      { numRuns: 60 },
    );
  });
});
