import { describe, expect, it } from 'vitest';
import { globMatch } from './glob.ts';
import { timeWindowSchema } from './rules.ts';
import { inWindow } from './time.ts';

const w = (x: unknown) => timeWindowSchema.parse(x);

describe('inWindow', () => {
  it('checks hours in the window time zone', () => {
    const office = w({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: '09:00-18:00', tz: 'America/New_York' });
    expect(inWindow(office, new Date('2026-03-04T14:00:00Z'))).toBe(true); // Wed 09:00 EST
    expect(inWindow(office, new Date('2026-03-04T13:59:00Z'))).toBe(false); // Wed 08:59 EST
    expect(inWindow(office, new Date('2026-03-04T23:00:00Z'))).toBe(false); // Wed 18:00 EST (end excluded)
    expect(inWindow(office, new Date('2026-03-07T15:00:00Z'))).toBe(false); // Saturday
  });

  it('handles windows that wrap midnight and DST', () => {
    const night = w({ hours: '22:00-06:00', tz: 'Europe/Paris' });
    expect(inWindow(night, new Date('2026-07-01T21:30:00Z'))).toBe(true); // 23:30 CEST
    expect(inWindow(night, new Date('2026-07-01T03:59:00Z'))).toBe(true); // 05:59 CEST
    expect(inWindow(night, new Date('2026-07-01T04:00:00Z'))).toBe(false); // 06:00 CEST
    expect(inWindow(night, new Date('2026-01-01T04:00:00Z'))).toBe(true); // 05:00 CET
  });

  it('rejects bad windows', () => {
    expect(() => w({ hours: '9-17' })).toThrow();
    expect(() => w({ tz: 'Mars/Olympus' })).toThrow();
  });
});

describe('globMatch', () => {
  it.each([
    ['public.*', 'public.users', true],
    ['*email*', 'contact_EMAIL_addr', true],
    ['pg_read_*', 'pg_read_binary_file', true],
    ['pg_?s_dir', 'pg_ls_dir', true],
    ['public.users', 'public.users2', false],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['', '', true],
  ])('%s ~ %s = %s', (p, v, r) => expect(globMatch(p, v)).toBe(r));
});
