/** Luhn check over a string of digits (card numbers). */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** ISO 13616 IBAN check: move the first four characters to the end, letters → numbers, mod 97 = 1. */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/ /g, '').toUpperCase();
  if (s.length < 15 || s.length > 34) return false;
  const r = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < r.length; i++) {
    const c = r.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

/** Number of ASCII digits in `v`, stopping once `enough` are seen: a cheap pre-check before any regex. */
export function countDigits(v: string, enough: number): number {
  let n = 0;
  for (let i = 0; i < v.length && n < enough; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/**
 * Whether `v` holds `enough` digits in one run, where a run may continue over
 * at most `maxGap` consecutive characters from `separators` between two digits.
 * A cheap pre-check for detectors whose pattern is such a run (cards, phones):
 * a hex hash or a sentence with scattered digits fails it, and the regex never runs.
 */
export function hasDigitRun(v: string, enough: number, separators: string, maxGap: number): boolean {
  let run = 0;
  let gap = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      run++;
      gap = 0;
      if (run >= enough) return true;
    } else if (run > 0 && gap < maxGap && separators.includes(v[i]!)) gap++;
    else {
      run = 0;
      gap = 0;
    }
  }
  return false;
}
