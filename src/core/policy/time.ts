import type { TimeWindow } from './rules.ts';
import { weekdays } from './rules.ts';

/**
 * Whether `at` falls in the window, in the window's time zone. Hours may wrap
 * midnight (`22:00-06:00`); `days` is the local weekday at `at` itself.
 */
export function inWindow(w: TimeWindow, at: Date): boolean {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: w.tz,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as (typeof weekdays)[number];
  if (w.days !== undefined && !w.days.includes(day)) return false;
  if (w.hours === undefined) return true;
  const minutes = Number(get('hour')) * 60 + Number(get('minute'));
  const [from, to] = w.hours.split('-').map((hm) => {
    const [h, m] = hm.split(':').map(Number);
    return (h ?? 0) * 60 + (m ?? 0);
  }) as [number, number];
  return from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
}
