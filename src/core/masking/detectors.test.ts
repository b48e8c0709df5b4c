import { describe, expect, it } from 'vitest';
import { ibanValid, luhn } from './checksums.ts';
import { createLenientDetectors } from './detectors.ts';
import { createRowMasker } from './row-masker.ts';
import { detectorNames } from './types.ts';
import type { DetectorName } from './types.ts';

const masker = (names: readonly DetectorName[] = detectorNames) => {
  const m = createRowMasker({ plan: { columns: [], detectors: names.map((name) => ({ name, strategy: 'redact', rule: 'r' })), exempted: [] }, hashKey: 'k' });
  m.shape([{ name: 'v' }]);
  return m;
};
const mask = (v: string) => masker().row([v])[0];

const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----';
const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';

describe('content detectors', () => {
  it.each([
    ['card', 'card 4111 1111 1111 1111 ok', 'card **** ok'],
    ['card with dashes', '4111-1111-1111-1111', '****'],
    ['email', 'mail alice@example.com now', 'mail **** now'],
    ['phone', 'call +1 (415) 555-2671', 'call ****'],
    ['e164 phone', '+441632960961', '****'],
    ['ssn', 'ssn 123-45-6789', 'ssn ****'],
    ['iban', 'GB82 WEST 1234 5698 7654 32', '****'],
    ['iban compact', 'x DE89370400440532013000 y', 'x **** y'],
    ['jwt', `Bearer ${jwt}`, 'Bearer ****'],
    ['aws key', 'key=AKIAIOSFODNN7EXAMPLE;', 'key=****;'],
    ['pem', `k: ${pem}`, 'k: ****'],
    ['json', '{"card":"4111111111111111","e":"bob@corp.io"}', '{"card":"****","e":"****"}'],
  ])('%s', (_n, input, expected) => expect(mask(input)).toBe(expected));

  it.each([
    ['non-Luhn 16 digits', '4111111111111112'],
    ['order id', 'order 20240115-000123'],
    ['date', '2024-01-15 10:00:00'],
    ['bad IBAN checksum', 'DE89370400440532013001'],
    ['invalid SSN area', '000-12-3456'],
    ['plain words', 'hello world'],
    ['short number', '12345'],
  ])('leaves %s alone', (_n, input) => expect(mask(input)).toBe(input));

  it('only runs the detectors enabled', () => {
    expect(masker(['email']).row(['4111111111111111 a@b.co'])[0]).toBe('4111111111111111 ****');
  });

  it('checksums', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111121')).toBe(false);
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('GB82WEST12345698765431')).toBe(false);
  });
});

describe('lenient detectors (transformed values)', () => {
  /** What the lenient detectors find in `v`, by name. */
  const found = (v: string) =>
    createLenientDetectors(detectorNames).flatMap((d) => (d.quick(v) ? (v.match(d.pattern) ?? []).filter((m) => d.valid(m)).map((m) => `${d.name}:${m}`) : []));

  it.each([
    ['lower-case IBAN', 'gb82west12345698765432', ['iban:gb82west12345698765432']],
    ['mixed-case IBAN with spaces', 'Fr14 2004 1010 0505 0001 3m02 606', ['iban:Fr14 2004 1010 0505 0001 3m02 606']],
    ['bare SSN', 'ssn 536228419.', ['ssn:536228419']],
    ['SSN with spaces', '536 22 8419', ['ssn:536 22 8419']],
    ['SSN with dots', 'x:536.22.8419', ['ssn:536.22.8419']],
  ])('finds a %s', (_n, v, expected) => expect(found(v)).toEqual(expected));

  it.each([
    ['plain lower-case words', 'hello world and some more words'],
    ['a hex hash (no country, wrong length)', 'de89370400440532013000aa'],
    ['md5 hex', '9e107d9d372bb6826bd81d3542a419d6'],
    ['IBAN of a wrong length for its country', 'de8937040044053201300'],
    ['IBAN with a bad checksum', 'gb82west12345698765431'],
    ['SSN area 000, 666, 9xx', '000228419 666228419 936228419'],
    ['SSN group 00, serial 0000', '536008419 536220000'],
    ['10 digits', '5362284190'],
    ['9 digits inside a word or hex', 'a536228419 536228419f'],
    ['9 digits in a decimal number', '3.536228419 536228419,5'],
    ['mixed separators', '536 22.8419'],
  ])('leaves %s alone', (_n, v) => expect(found(v)).toEqual([]));

  it('only the enabled ones, and the SSN one is for text only', () => {
    expect(createLenientDetectors(['email', 'card']).length).toBe(0);
    expect(createLenientDetectors(['ssn', 'iban']).map((d) => [d.name, d.textOnly])).toEqual([
      ['iban', false],
      ['ssn', true],
    ]);
  });
});
