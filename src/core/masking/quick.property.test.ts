import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDetectors, createLenientDetectors } from './detectors.ts';

// The detectors' cheap pre-checks may only ever skip values their pattern could not match:
// a quick check that says "no" to a real card or phone number would be a masking bypass.
// Digit groups joined by the separators numbers are written with (and some that break them),
// so that real matches are common in the generated values.
const digits = fc.stringMatching(/^\d{1,5}$/);
const separator = fc.constantFrom('', ' ', '-', '.', ')', ') ', '(', ' (', '+', ' - ', 'x', 'ab', '@');
const value = fc.array(fc.tuple(separator, digits), { minLength: 2, maxLength: 8 }).map((parts) => parts.map(([s, d]) => s + d).join(''));

describe('detector pre-checks never skip a match', () => {
  for (const detector of [...createDetectors(['card', 'phone']), ...createLenientDetectors(['ssn'])]) {
    it(`${detector.name}: quick(v) is true whenever the pattern finds a valid match`, () => {
      fc.assert(
        fc.property(value, (v) => {
          const matched = [...v.matchAll(detector.pattern)].some((m) => detector.valid(m[0]));
          if (matched) expect(detector.quick(v)).toBe(true);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('passes the usual ways cards and phones are written', () => {
    const [card, phone] = createDetectors(['card', 'phone']);
    for (const v of ['4111 1111 1111 1111', 'card: 4111-1111-1111-1111.', '4111111111111111']) expect(card!.quick(v)).toBe(true);
    for (const v of ['(555) 123-4567', 'call +1 (555) 123-4567 now', '555-123-4567', '+44 20 7946 0018', '+4915112345678']) expect(phone!.quick(v)).toBe(true);
  });

  it('skips a hex digest and scattered digits', () => {
    const [card, phone] = createDetectors(['card', 'phone']);
    for (const v of ['5d41402abc4b2a76b9719d911017c592', 'order 12 of 2024, item 7, batch 3301']) {
      expect(card!.quick(v)).toBe(false);
      expect(phone!.quick(v)).toBe(false);
    }
  });
});
