/** Injected time, so expiry and timeouts are testable without sleeping. */
export interface Clock {
  now(): Date;
  /** `now().getTime()` without the Date, for clocks that can say it directly (hot paths read the time per statement). */
  ms?(): number;
}

export const systemClock: Clock = { now: () => new Date(), ms: Date.now };

/** Milliseconds since the epoch on `clock`: `clock.ms()` when it has one, else from `now()`. */
export function clockMs(clock: Clock): number {
  return clock.ms === undefined ? clock.now().getTime() : clock.ms();
}

/** A clock that only moves when told to; for tests. */
export function manualClock(start = new Date('2026-01-01T00:00:00Z')): Clock & { advance(ms: number): void } {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    ms: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** The last millisecond formatted on each clock, and its ISO text. */
const stamps = new WeakMap<Clock, { ms: number; at: string }>();

/**
 * `clock.now().toISOString()`, formatted once per millisecond for every caller
 * on this clock: the statement trackers stamp each recorded event, and while one
 * session alone rarely sees two statements in a millisecond, all sessions
 * together often do, and formatting costs more than the rest of the event.
 */
export function isoNow(clock: Clock): string {
  let stamp = stamps.get(clock);
  if (stamp === undefined) stamps.set(clock, (stamp = { ms: Number.NaN, at: '' }));
  const ms = clockMs(clock);
  if (ms !== stamp.ms) {
    stamp.ms = ms;
    stamp.at = new Date(ms).toISOString();
  }
  return stamp.at;
}
