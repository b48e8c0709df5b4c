import { beforeAll, describe, expect, it } from 'vitest';
import { initSql } from '../sql/index.ts';
import { createLiteralMasker } from './literals.ts';

let mask: (t: string) => string;
beforeAll(async () => {
  mask = createLiteralMasker(await initSql());
});

describe('literal masking for reviews', () => {
  it('hides sensitive literals and keeps the rest readable', () => {
    expect(mask("delete from payments where card = '4111 1111 1111 1111' and id = 42")).toBe("delete from payments where card = '****' and id = 42");
    expect(mask("update customers set note = 'x' where email = 'ann@example.com'")).toBe("update customers set note = 'x' where email = '****'");
    expect(mask('select 4111111111111111')).toBe('select ****');
    expect(mask('select 4111111111111112')).toBe('select 4111111111111112'); // not Luhn-valid: not a card
  });

  it('masks detectable values even when the text does not scan', () => {
    expect(mask("select 'unterminated ann@example.com")).not.toContain('ann@example.com');
  });
});

describe('parameters inlined for review', () => {
  it('replaces each $n with its bound value, quoted', async () => {
    const { inlineParameters } = await import('./literals.ts');
    const parser = await initSql();
    expect(inlineParameters(parser, 'delete from t where id = $1 and note = $2 or x = $1', ['42', "it's"])).toBe("delete from t where id = '42' and note = 'it''s' or x = '42'");
    expect(inlineParameters(parser, 'select $1', [null])).toBe('select NULL');
    expect(mask(inlineParameters(parser, 'delete from p where card = $1', ['4111111111111111']))).toBe("delete from p where card = '****'");
  });
});
