import { describe, expect, it } from 'vitest';
import { closedWindow, describeWindow, outsideWindowMessage } from './window.ts';

const office = { days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, hours: '09:00-17:00', tz: 'Europe/Paris' };
const w = { ...office, days: [...office.days] };

describe('execution windows', () => {
  it('says when an approved command may run, in words', () => {
    expect(describeWindow(w)).toBe('Mon–Fri 09:00–17:00 Europe/Paris');
    expect(describeWindow({ days: ['mon', 'wed', 'thu', 'fri', 'sun'], tz: 'UTC' })).toBe('Mon, Wed–Fri, Sun at any hour UTC');
    expect(describeWindow({ days: ['sat', 'sun'], hours: '22:00-06:00', tz: 'UTC' })).toBe('Sat, Sun 22:00–06:00 UTC');
    expect(describeWindow({ hours: '09:00-17:00', tz: 'UTC' })).toBe('any day 09:00–17:00 UTC');
    expect(outsideWindowMessage('R-4', w, 'queue')).toContain('approved, but it may only run Mon–Fri 09:00–17:00 Europe/Paris');
  });

  it('finds the window that is closed now, in the window’s time zone', () => {
    // Friday 2026-05-01: 09:00Z is 11:00 in Paris (open), 16:00Z is 18:00 (closed).
    expect(closedWindow([w], new Date('2026-05-01T09:00:00Z'))).toBeUndefined();
    expect(closedWindow([w], new Date('2026-05-01T16:00:00Z'))).toBe(w);
    expect(closedWindow([w], new Date('2026-05-02T10:00:00Z'))).toBe(w); // Saturday
    expect(closedWindow(undefined, new Date('2026-05-02T10:00:00Z'))).toBeUndefined();
    // Several windows: every one must be open.
    const mornings = { hours: '00:00-10:00', tz: 'UTC' };
    expect(closedWindow([w, mornings], new Date('2026-05-01T09:30:00Z'))).toBeUndefined();
    expect(closedWindow([w, mornings], new Date('2026-05-01T11:00:00Z'))).toBe(mornings);
  });
});
