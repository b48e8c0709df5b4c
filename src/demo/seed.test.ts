import { describe, expect, it } from 'vitest';
import { ibanValid, luhnValid } from './checksums.ts';
import { demoDataset } from './fake.ts';
import { seedSql } from './seed.ts';

describe('demo dataset', () => {
  const data = demoDataset();

  it('has the default sizes and is the same on every call', () => {
    expect(data.customers).toHaveLength(200);
    expect(data.payments).toHaveLength(1000);
    expect(data.supportTickets).toHaveLength(150);
    expect(demoDataset()).toEqual(data);
    expect(demoDataset({ seed: 1 }).customers[0]).not.toEqual(data.customers[0]);
  });

  it('has realistic, checksum-valid PII', () => {
    for (const c of data.customers) {
      expect(c.email).toMatch(/^[a-z.]+\d+@example\.(com|org|net)$/);
      expect(c.nationalId).toMatch(/^(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/);
      expect(ibanValid(c.iban), c.iban).toBe(true);
      expect(c.dateOfBirth).toMatch(/^(19[5-9]\d|200[0-4])-\d{2}-\d{2}$/);
    }
    expect(new Set(data.customers.map((c) => c.email)).size).toBe(200);
    for (const p of data.payments) {
      expect(luhnValid(p.cardNumber), p.cardNumber).toBe(true);
      expect(p.cardNumber).toMatch(/^(4\d{15}|5[1-5]\d{14}|3[47]\d{13})$/);
      expect(p.cardExpiry).toMatch(/^(0[1-9]|1[0-2])\/\d{2}$/);
      expect(p.customerId).toBeGreaterThanOrEqual(1);
      expect(p.customerId).toBeLessThanOrEqual(200);
    }
    // All three card brands appear.
    for (const re of [/^4/, /^5[1-5]/, /^3[47]/]) expect(data.payments.some((p) => re.test(p.cardNumber))).toBe(true);
  });

  it('leaves PII in some support tickets, for the content detectors to find', () => {
    const bodies = data.supportTickets.map((t) => t.body);
    expect(bodies.some((b) => /@example\./.test(b))).toBe(true);
    expect(bodies.some((b) => /555[- ]01\d\d|7946 0\d{3}/.test(b))).toBe(true);
    expect(bodies.some((b) => /\d{4} \d{4} \d{4} \d{1,4}/.test(b))).toBe(true);
    expect(bodies.some((b) => !/@|555|\d{4} \d{4}/.test(b))).toBe(true);
  });

  it('quotes apostrophes in the seed SQL', () => {
    const sql = seedSql(demoDataset({ customers: 300, payments: 1, supportTickets: 1 }));
    expect(sql).toContain("O''Brien");
    expect(sql).not.toMatch(/[^']'Brien/);
  });
});
