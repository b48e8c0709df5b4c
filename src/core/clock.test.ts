import { describe, expect, it } from 'vitest';
import { isoNow, manualClock } from './clock.ts';

describe('isoNow', () => {
  it('is the clock time in ISO form, re-read every millisecond, and kept apart per clock', () => {
    const a = manualClock(new Date('2026-03-01T10:00:00.000Z'));
    const b = manualClock(new Date('2027-01-01T00:00:00.000Z'));
    expect(isoNow(a)).toBe('2026-03-01T10:00:00.000Z');
    expect(isoNow(b)).toBe('2027-01-01T00:00:00.000Z');
    expect(isoNow(a)).toBe('2026-03-01T10:00:00.000Z');
    a.advance(1);
    expect(isoNow(a)).toBe('2026-03-01T10:00:00.001Z');
    a.advance(-1);
    expect(isoNow(a)).toBe('2026-03-01T10:00:00.000Z');
    expect(isoNow(b)).toBe('2027-01-01T00:00:00.000Z');
  });
});
