import { describe, expect, it } from 'vitest';
import { manualClock } from '../../clock.ts';
import { AssertionReplayCache } from './replay.ts';

describe('AssertionReplayCache', () => {
  it('refuses an ID a second time until the assertion expires, then forgets it', () => {
    const clock = manualClock();
    const cache = new AssertionReplayCache(clock);
    const until = new Date(clock.now().getTime() + 60_000);
    expect(cache.seen('_a1')).toBe(false);
    expect(cache.remember('_a1', until)).toBe(true);
    expect(cache.seen('_a1')).toBe(true);
    expect(cache.remember('_a1', until)).toBe(false);
    expect(cache.remember('_a2', until)).toBe(true);
    clock.advance(60_000);
    expect(cache.seen('_a1')).toBe(false);
  });
});
