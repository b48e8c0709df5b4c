import { countDigits, hasDigitRun, ibanValid, luhn } from './checksums.ts';
import type { DetectorName } from './types.ts';

/**
 * A content detector: `quick` is a cheap pre-check (indexOf, a digit count)
 * that rules most values out before any regex runs; `pattern` finds
 * candidates and `valid` confirms them (Luhn, mod-97), so order numbers and
 * dates are not taken for cards.
 */
export interface Detector {
  name: DetectorName;
  quick(v: string): boolean;
  pattern: RegExp;
  valid(match: string): boolean;
}

const digitsOf = (s: string): string => s.replace(/\D/g, '');
const always = (): boolean => true;

/** Fresh detector instances (global regexes carry state, so none is shared between maskers). Most specific first. */
export function createDetectors(names: readonly DetectorName[]): Detector[] {
  const all: Detector[] = [
    {
      name: 'private_key',
      quick: (v) => v.includes('PRIVATE KEY'),
      pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
      valid: always,
    },
    { name: 'jwt', quick: (v) => v.includes('eyJ'), pattern: /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, valid: always },
    {
      name: 'aws_key',
      quick: (v) => v.length >= 20 && v.includes('A'),
      pattern: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}(?![A-Z0-9])/g,
      valid: always,
    },
    {
      name: 'card',
      quick: (v) => v.length >= 13 && hasDigitRun(v, 13, ' -', 1),
      pattern: /(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)/g,
      valid: (m) => luhn(digitsOf(m)),
    },
    {
      name: 'iban',
      quick: (v) => v.length >= 15 && countDigits(v, 4) >= 4,
      pattern: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g,
      valid: ibanValid,
    },
    {
      name: 'ssn',
      quick: (v) => v.length >= 11 && v.includes('-') && countDigits(v, 9) >= 9,
      pattern: /(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/g,
      valid: always,
    },
    { name: 'email', quick: (v) => v.includes('@'), pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, valid: always },
    {
      name: 'phone',
      quick: (v) => v.length >= 10 && hasDigitRun(v, 10, ' .-()', 2),
      pattern: /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}(?!\w)|\+\d{9,15}(?!\d)/g,
      valid: (m) => {
        const n = digitsOf(m).length;
        return n >= 10 && n <= 15;
      },
    },
  ];
  return all.filter((d) => names.includes(d.name));
}

/**
 * IBAN length by country (ISO 13616 registry). The lenient IBAN detector
 * accepts only these, so a lower-case run of letters and digits (a hex hash)
 * must name a country, have its exact length and pass mod-97 to be taken.
 */
const ibanLengths: Readonly<Record<string, number>> = Object.freeze({
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24,
  DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27,
  GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24,
  PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25,
  SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
});

function ibanLenientValid(m: string): boolean {
  const s = m.replace(/ /g, '').toUpperCase();
  return ibanLengths[s.slice(0, 2)] === s.length && ibanValid(s);
}

/**
 * Extra detectors for a transformed value (lineage says the column is
 * computed from a source column: `lower(iban)`, `replace(ssn, '-', '')`),
 * run after the strict ones. Never used on a column as stored, so a plain
 * integer or ID column is not taken for an SSN, nor a lower-case word for an IBAN.
 * - iban: any case; precise through the registry's country lengths and mod-97.
 * - ssn: 9 digits bare or with one space or dot between the groups, with the
 *   SSA's validity rules (area not 000/666/9xx, group not 00, serial not
 *   0000), standing alone (not inside a word, a hex string or a decimal
 *   number). Only for text columns (`textOnly`): a number column's 9 digits
 *   are a number.
 */
export function createLenientDetectors(names: readonly DetectorName[]): (Detector & { textOnly: boolean })[] {
  const all: (Detector & { textOnly: boolean })[] = [
    {
      name: 'iban',
      textOnly: false,
      quick: (v) => v.length >= 15 && countDigits(v, 4) >= 4,
      pattern: /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])/g,
      valid: ibanLenientValid,
    },
    {
      name: 'ssn',
      textOnly: true,
      quick: (v) => v.length >= 9 && hasDigitRun(v, 9, ' .', 1),
      pattern: /(?<!\w|\d[.,-])(?!000|666|9\d\d)\d{3}([ .]?)(?!00)\d{2}\1(?!0000)\d{4}(?!\w|[.,-]\d)/g,
      valid: always,
    },
  ];
  return all.filter((d) => names.includes(d.name));
}
