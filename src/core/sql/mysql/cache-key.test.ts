import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyScan, classificationKey } from './cache-key.ts';
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

  // Texts from pieces where lexing is delicate: quotes, comments, backslashes, digits next to words, dots, non-ASCII.
  const digits = ['1', '12', '0', '007', '99', '1234567890123456789'];
  const piece = fc.constantFrom(...digits, 'SELECT ', 'id', ' ', '=', ',', '.', 'e', 'x', "'", '"', '`', "''", '\\', '#', '--', '-', '/*', '*/', '/', '*', 'é', '\u0663', '$', '@', '_', ';', '\n');

  it('builds the same key as a fresh reading of the text', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const text = pieces.join('');
        expect(classificationKey(text)).toBe(slowKey(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('knows a text shares the last key only when it does (the classifier\'s fast path)', () => {
    const scan = new KeyScan();
    scan.read('SELECT c FROM t WHERE id=1 AND k=7');
    const same = ['SELECT c FROM t WHERE id=42 AND k=123456789012345678', 'SELECT c FROM t WHERE id=0 AND k=0'];
    const other = ['SELECT c FROM t WHERE id= AND k=7', 'SELECT c FROM t WHERE id=1 AND k=1234567890123456789', 'SELECT c FROM t WHERE id=1 AND k=7 ', 'SELECT c FROM t WHERE id=1 AND k=7x', 'SELECT c FROM t WHERE id=1 AND k='];
    expect([...same, ...other].map((t) => scan.sameKey(t))).toEqual([...same.map(() => true), ...other.map(() => false)]);
    let shared = 0;
    fc.assert(
      // b is a with other integers in places, so that keys are often equal and sometimes not.
      fc.property(fc.array(piece, { maxLength: 30 }), fc.array(fc.constantFrom(...digits), { minLength: 30, maxLength: 30 }), (pieces, others) => {
        const a = pieces.join('');
        const b = pieces.map((p, i) => (digits.includes(p) ? others[i]! : p)).join('');
        scan.read(a);
        expect(scan.key()).toBe(slowKey(a));
        if (!scan.sameKey(b)) return;
        shared++;
        expect(slowKey(b)).toBe(slowKey(a));
      }),
      { numRuns: 3000 },
    );
    expect(shared).toBeGreaterThan(1000);
  });
});

/** The key as the classifier built it before KeyScan: one regex test, then one pass building the string. */
function slowKey(text: string): string {
  if (/\/\*|#|--|\\/.test(text)) return text;
  let out = '';
  let from = 0;
  const n = text.length;
  const word = (i: number) => i >= 0 && i < n && /[\p{L}\p{N}_$@]/u.test(text[i]!);
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < n; i++) if (text[i] === c && text[++i] !== c) break;
      i--;
      continue;
    }
    if (c < '0' || c > '9' || word(i - 1)) continue;
    let end = i;
    while (end < n && text[end]! >= '0' && text[end]! <= '9') end++;
    if (!word(end) && text[end] !== '.' && text[i - 1] !== '.' && end - i <= 18) {
      out += `${text.slice(from, i)}0`;
      from = end;
    }
    i = end - 1;
  }
  return from === 0 ? text : out + text.slice(from);
}
