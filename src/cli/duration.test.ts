import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it('reads units and combinations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
  });
  it('rejects what it cannot read', () => {
    for (const bad of ['', '12', 'h', '1x', '1h 30m', '0s', '-5m', '12h!']) expect(() => parseDuration(bad)).toThrow(/duration/);
  });
});
