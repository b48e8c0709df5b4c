/**
 * Check digits for the fake PII in the demo data. The demo exists to show that
 * Warden's content detectors find card numbers and IBANs, and real detectors
 * verify checksums — so the fakes must carry valid ones.
 */

/** The Luhn check digit for a string of digits (the payload without its check digit). */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  // Walking from the right, every second digit starting with the rightmost payload digit is doubled.
  for (let i = 0; i < payload.length; i++) {
    let d = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when a string of digits (spaces and dashes ignored) passes the Luhn check. */
export function luhnValid(number: string): boolean {
  const digits = number.replace(/[ -]/g, '');
  if (!/^\d{2,}$/.test(digits)) return false;
  return luhnCheckDigit(digits.slice(0, -1)) === Number(digits.slice(-1));
}

/** ISO 7064 mod 97-10 of an IBAN-style alphanumeric string (letters A=10 … Z=35). */
function mod97(s: string): number {
  let rest = 0;
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch; // 'A' is 65 → 10
    for (const digit of value) rest = (rest * 10 + Number(digit)) % 97;
  }
  return rest;
}

/** An IBAN for a country code and BBAN, with its two check digits computed (ISO 13616). */
export function makeIban(country: string, bban: string): string {
  const check = 98 - mod97(`${bban}${country}00`);
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}

/** True when an IBAN (spaces ignored) has valid mod-97 check digits. */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(s)) return false;
  return mod97(s.slice(4) + s.slice(0, 4)) === 1;
}
