import { WardenError } from '../core/errors.ts';

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `30m`, `12h`, `7d`, `2w` (or combined: `1h30m`) to milliseconds. */
export function parseDuration(text: string): number {
  const parts = [...text.trim().matchAll(/(\d+)([smhdw])/g)];
  const joined = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || joined !== text.trim()) {
    throw new WardenError('bad_request', `"${text}" is not a duration; use e.g. 30m, 12h, 7d or 1h30m`);
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
  if (ms <= 0) throw new WardenError('bad_request', `duration "${text}" must be longer than zero`);
  return ms;
}
