import { describe, expect, it } from 'vitest';
import { inlineMysqlParameters, placeholderOffsets } from './placeholders.ts';

describe('MySQL placeholders', () => {
  it('finds ? outside strings, identifiers and comments', () => {
    const text = "select ?, '?', \"?\", `?`, 'it''s ?', 'a\\'?' /* ? */ -- ?\n, ? # ?\n";
    expect(placeholderOffsets(text).map((i) => text[i])).toEqual(['?', '?']);
    expect(inlineMysqlParameters(text, ['1', "'x'"])).toBe("select 1, '?', \"?\", `?`, 'it''s ?', 'a\\'?' /* ? */ -- ?\n, 'x' # ?\n");
  });

  it('counts placeholders inside executable comments, which the server runs', () => {
    expect(inlineMysqlParameters('delete from t where id = /*!50000 ? */ or ?', ['1', '2'])).toBe('delete from t where id = /*!50000 1 */ or 2');
  });

  it('refuses to inline when the count differs', () => {
    expect(inlineMysqlParameters('select ?', [])).toBeUndefined();
    expect(inlineMysqlParameters('select 1', ['1'])).toBeUndefined();
  });
});
