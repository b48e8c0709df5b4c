import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ibanValid, luhnCheckDigit, luhnValid, makeIban } from './checksums.ts';

describe('Luhn', () => {
  it('accepts published test card numbers and rejects a changed digit', () => {
    for (const n of ['4111111111111111', '5555555555554444', '378282246310005', '4012 8888 8888 1881']) {
      expect(luhnValid(n)).toBe(true);
    }
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('not a card')).toBe(false);
  });

  it('check digit always validates, and any single-digit change breaks it', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{10,18}$/), fc.nat(), fc.integer({ min: 1, max: 9 }), (payload, pos, delta) => {
        const card = payload + String(luhnCheckDigit(payload));
        expect(luhnValid(card)).toBe(true);
        const i = pos % card.length;
        const changed = card.slice(0, i) + String((Number(card[i]) + delta) % 10) + card.slice(i + 1);
        expect(luhnValid(changed)).toBe(false);
      }),
    );
  });
});

describe('IBAN', () => {
  it('accepts published example IBANs and rejects a changed digit', () => {
    for (const iban of ['DE89 3704 0044 0532 0130 00', 'GB29 NWBK 6016 1331 9268 19', 'FR14 2004 1010 0505 0001 3M02 606']) {
      expect(ibanValid(iban)).toBe(true);
    }
    expect(ibanValid('DE89 3704 0044 0532 0130 01')).toBe(false);
  });

  it('makeIban reproduces the check digits of a real example', () => {
    expect(makeIban('DE', '370400440532013000')).toBe('DE89370400440532013000');
    expect(makeIban('GB', 'NWBK60161331926819')).toBe('GB29NWBK60161331926819');
  });

  it('makeIban output always validates', () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Z0-9]{12,28}$/), (bban) => {
      expect(ibanValid(makeIban('NL', bban))).toBe(true);
    }));
  });
});
