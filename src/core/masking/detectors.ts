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
