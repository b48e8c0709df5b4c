import { describe, expect, it } from 'vitest';
import { clockMs, isoNow, manualClock, systemClock } from './clock.ts';

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

  it('is what toISOString writes across seconds, days and years, before 1970 and past 9999', () => {
    const starts = ['2026-12-31T23:59:58.990Z', '1969-12-31T23:59:59.995Z', '+010000-01-01T00:00:00.000Z', '-000001-12-31T23:59:59.998Z'];
    for (const start of starts) {
      const c = manualClock(new Date(start));
      for (let i = 0; i < 2_100; i += 7) {
        expect(isoNow(c)).toBe(c.now().toISOString());
        c.advance(7);
      }
    }
  });
});

describe('clockMs', () => {
  it('reads `ms()` where a clock has one, and `now()` where it has not', () => {
    const manual = manualClock(new Date('2026-03-01T10:00:00.000Z'));
    manual.advance(5);
    expect(clockMs(manual)).toBe(Date.parse('2026-03-01T10:00:00.005Z'));
    const plain = { now: () => new Date('2025-01-02T03:04:05.678Z') };
    expect(clockMs(plain)).toBe(Date.parse('2025-01-02T03:04:05.678Z'));
    expect(isoNow(plain)).toBe('2025-01-02T03:04:05.678Z');
    const before = Date.now();
    const read = clockMs(systemClock);
    expect(read).toBeGreaterThanOrEqual(before);
    expect(read).toBeLessThanOrEqual(Date.now());
  });
});
