import type { TimeWindow } from '../policy/rules.ts';
import { weekdays } from '../policy/rules.ts';
import { inWindow } from '../policy/time.ts';

/**
 * Execution windows of approved commands, pure: which window (if any) keeps
 * an approved command from running at `at`, and how to say when it may run.
 */

/** The first window `at` falls outside of; undefined when the command may run now. */
export function closedWindow(windows: readonly TimeWindow[] | undefined, at: Date): TimeWindow | undefined {
  return (windows ?? []).find((w) => !inWindow(w, at));
}

const dayName = (d: (typeof weekdays)[number]) => d.charAt(0).toUpperCase() + d.slice(1);

/** `Mon–Fri 09:00–17:00 Europe/Paris`, `Mon, Wed 22:00–06:00 UTC`, `any day 09:00–17:00 UTC`. */
export function describeWindow(w: TimeWindow): string {
  const days = w.days === undefined ? 'any day' : dayRanges(w.days);
  const hours = w.hours === undefined ? 'at any hour' : w.hours.replace('-', '–');
  return `${days} ${hours} ${w.tz}`;
}

/** Consecutive weekdays (three or more) become a range: mon,tue,wed,fri → `Mon–Wed, Fri`. */
function dayRanges(days: readonly (typeof weekdays)[number][]): string {
  const idx = [...new Set(days.map((d) => weekdays.indexOf(d)))].sort((a, b) => a - b);
  if (idx.length === 0) return 'no day';
  const parts: string[] = [];
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1] === idx[j]! + 1) j++;
    const from = dayName(weekdays[idx[i]!]!);
    const to = dayName(weekdays[idx[j]!]!);
    if (j - i >= 2) parts.push(`${from}–${to}`);
    else for (let k = i; k <= j; k++) parts.push(dayName(weekdays[idx[k]!]!));
    i = j + 1;
  }
  return parts.join(', ');
}

/** What the requester is told when only the window stops an approved command. */
export function outsideWindowMessage(reviewId: string, w: TimeWindow, mode: 'hold' | 'queue'): string {
  const next = mode === 'queue' ? 'run the same statement again inside that window (the approval is kept)' : 'it was not run; send it again inside that window for a new review';
  return `review ${reviewId} is approved, but it may only run ${describeWindow(w)}; ${next}`;
}
