import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentTexts } from './recent-texts.ts';

describe('RecentTexts', () => {
  it('finds exactly the last `size` texts kept (newest value for a text kept twice), whatever their ends', () => {
    // Short texts over few characters: many share a length and their last characters, and some are empty.
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '1', ';', '\u00e9', '\ud83d'), maxLength: 5 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.tuple(fc.boolean(), text), { maxLength: 30 }), (size, ops) => {
        const memo = new RecentTexts<number>(size);
        const kept: [string, number][] = [];
        ops.forEach(([set, t], i) => {
          if (set) {
            memo.set(t, i);
            kept.push([t, i]);
          } else {
            const last = kept.slice(-size).reverse().find(([k]) => k === t);
            expect(memo.get(t)).toBe(last?.[1]);
          }
        });
      }),
    );
  });

  it('tells apart texts that differ only in their first characters, and texts that differ only in their last', () => {
    const memo = new RecentTexts<string>(4);
    memo.set('SELECT 1 WHERE aid = 17;', 'a');
    memo.set('UPDATE 1 WHERE aid = 17;', 'b');
    expect(memo.get('SELECT 1 WHERE aid = 17;')).toBe('a');
    expect(memo.get('SELECT 1 WHERE aid = 18;')).toBeUndefined();
    expect(memo.get(['UPDATE 1 WHERE', 'aid = 17;'].join(' '))).toBe('b'); // another string object, the same text
    expect(memo.get('')).toBeUndefined();
  });
});
