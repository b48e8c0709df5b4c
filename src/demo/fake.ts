/**
 * Deterministic fake people, cards and support tickets for `warden demo`.
 * Everything is derived from one seed, so the same rows appear on every run.
 * The PII is fake but shaped like the real thing (checksums included), because
 * the demo's point is to watch Warden's masking find it. Reserved ranges keep
 * it harmless: example.* mail domains, 555-01xx and 020 7946 0xxx phones.
 */
import { luhnCheckDigit, makeIban } from './checksums.ts';
import { FIRST_NAMES, LAST_NAMES, STREETS, CITIES, TICKET_TEMPLATES } from './fake-words.ts';
import { Prng } from './prng.ts';

export interface Customer {
  id: number;
  fullName: string;
  email: string;
  phone: string;
  /** US SSN format AAA-GG-SSSS. */
  nationalId: string;
  iban: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  address: string;
  /** ISO 8601, UTC */
  createdAt: string;
}

export interface Payment {
  id: number;
  customerId: number;
  /** Digits only: 16 for Visa and Mastercard, 15 for American Express (as real cards). */
  cardNumber: string;
  /** MM/YY */
  cardExpiry: string;
  /** Decimal string with two places, e.g. "129.90". */
  amount: string;
  currency: 'USD' | 'EUR' | 'GBP';
  status: 'captured' | 'refunded' | 'failed' | 'pending';
  createdAt: string;
}

export interface SupportTicket {
  id: number;
  customerId: number;
  subject: string;
  /** Free text; some bodies quote an email, a phone or a card number. */
  body: string;
  status: 'open' | 'pending' | 'closed';
  createdAt: string;
}

export interface DemoDataset {
  customers: Customer[];
  payments: Payment[];
  supportTickets: SupportTicket[];
}

export interface DemoDataOptions {
  seed?: number;
  customers?: number;
  payments?: number;
  supportTickets?: number;
}

export const defaultDemoData = { seed: 20240917, customers: 200, payments: 1000, supportTickets: 150 } as const;

// A fixed origin instead of the clock: the data must not change with the day it is made.
const ORIGIN_MS = Date.UTC(2024, 0, 1);
const DAY_MS = 86_400_000;

const iso = (ms: number) => new Date(ms).toISOString();

function cardNumber(rng: Prng): string {
  const brand = rng.int(0, 9);
  // Visa 4…, Mastercard 51–55, American Express 34/37 (15 digits), in rough market shares.
  const prefix = brand < 5 ? '4' : brand < 8 ? String(rng.int(51, 55)) : rng.pick(['34', '37']);
  const length = prefix === '34' || prefix === '37' ? 15 : 16;
  const payload = prefix + rng.digits(length - 1 - prefix.length);
  return payload + String(luhnCheckDigit(payload));
}

function ssn(rng: Prng): string {
  let area = rng.int(1, 899);
  if (area === 666) area = 667; // never issued
  return `${String(area).padStart(3, '0')}-${String(rng.int(1, 99)).padStart(2, '0')}-${String(rng.int(1, 9999)).padStart(4, '0')}`;
}

function iban(rng: Prng): string {
  const letters = (n: number) => Array.from({ length: n }, () => String.fromCharCode(rng.int(65, 90))).join('');
  switch (rng.int(0, 4)) {
    case 0: return makeIban('DE', rng.digits(18));
    case 1: return makeIban('FR', rng.digits(23));
    case 2: return makeIban('GB', letters(4) + rng.digits(14));
    case 3: return makeIban('NL', letters(4) + rng.digits(10));
    default: return makeIban('ES', rng.digits(20));
  }
}

function phone(rng: Prng): string {
  const line = String(rng.int(100, 199)).padStart(4, '0');
  const area = rng.pick(['212', '415', '312', '617', '206', '512', '303']);
  switch (rng.int(0, 3)) {
    case 0: return `(${area}) 555-${line}`;
    case 1: return `+1 ${area} 555 ${line}`;
    case 2: return `${area}-555-${line}`;
    default: return `+44 20 7946 0${String(rng.int(0, 999)).padStart(3, '0')}`;
  }
}

function customer(rng: Prng, id: number): Customer {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const local = `${first}.${last}`.normalize('NFD').toLowerCase().replace(/[^a-z.]/g, ''); // é → e
  const city = rng.pick(CITIES);
  const birth = Date.UTC(rng.int(1950, 2004), rng.int(0, 11), rng.int(1, 28));
  return {
    id,
    fullName: `${first} ${last}`,
    email: `${local}${id}@${rng.pick(['example.com', 'example.org', 'example.net'])}`,
    phone: phone(rng),
    nationalId: ssn(rng),
    iban: iban(rng),
    dateOfBirth: iso(birth).slice(0, 10),
    address: `${rng.int(1, 9899)} ${rng.pick(STREETS)}, ${city}`,
    createdAt: iso(ORIGIN_MS + rng.int(0, 365 * DAY_MS)),
  };
}

/** The whole demo dataset for a seed; the same options always give the same rows. */
export function demoDataset(options: DemoDataOptions = {}): DemoDataset {
  const o = { ...defaultDemoData, ...options };
  const rng = new Prng(o.seed);
  const customers = Array.from({ length: o.customers }, (_, i) => customer(rng, i + 1));
  // Each customer owns one or two cards; payments reuse them, as real ledgers do.
  const cards = customers.map((c) => ({ c, cards: Array.from({ length: rng.int(1, 2) }, () => cardNumber(rng)) }));
  const payments: Payment[] = Array.from({ length: o.payments }, (_, i) => {
    const owner = rng.pick(cards);
    const created = Date.parse(owner.c.createdAt) + rng.int(0, 200 * DAY_MS);
    const expiry = new Date(created + rng.int(200, 1500) * DAY_MS);
    return {
      id: i + 1,
      customerId: owner.c.id,
      cardNumber: rng.pick(owner.cards),
      cardExpiry: `${String(expiry.getUTCMonth() + 1).padStart(2, '0')}/${String(expiry.getUTCFullYear() % 100).padStart(2, '0')}`,
      amount: (rng.int(199, 250_000) / 100).toFixed(2),
      currency: rng.pick(['USD', 'USD', 'USD', 'EUR', 'GBP'] as const),
      status: rng.pick(['captured', 'captured', 'captured', 'captured', 'refunded', 'failed', 'pending'] as const),
      createdAt: iso(created),
    };
  });
  const supportTickets: SupportTicket[] = Array.from({ length: o.supportTickets }, (_, i) => {
    const owner = rng.pick(cards);
    const template = rng.pick(TICKET_TEMPLATES);
    const card = rng.pick(owner.cards);
    const body = template.body
      .replaceAll('{name}', owner.c.fullName.split(' ')[0] ?? owner.c.fullName)
      .replaceAll('{email}', owner.c.email)
      .replaceAll('{phone}', owner.c.phone)
      .replaceAll('{card}', card.replace(/(\d{4})(?=\d)/g, '$1 '))
      .replaceAll('{last4}', card.slice(-4));
    return {
      id: i + 1,
      customerId: owner.c.id,
      subject: template.subject,
      body,
      status: rng.pick(['open', 'pending', 'closed', 'closed'] as const),
      createdAt: iso(Date.parse(owner.c.createdAt) + rng.int(0, 300 * DAY_MS)),
    };
  });
  return { customers, payments, supportTickets };
}
