import { WardenError } from '../core/errors.ts';
import type { DbInt, DbTime, StoreKind } from './schema.ts';

/**
 * Value conversions that differ between the two back-ends, in one place so
 * every repository round-trips Dates, arrays and counters the same way.
 */
export interface Codec {
  time(d: Date): DbTime;
  timeOrNull(d: Date | null): DbTime | null;
  readTime(v: DbTime): Date;
  readTimeOrNull(v: DbTime | null): Date | null;
  readInt(v: DbInt): number;
  json(list: string[]): string;
  readJson(text: string, column: string): string[];
}

export function codecFor(kind: StoreKind): Codec {
  // PostgreSQL stores timestamptz and `pg` maps it to Date; better-sqlite3 has no
  // date type (and rejects Date parameters), so SQLite stores sortable ISO text.
  const time = kind === 'postgres' ? (d: Date): DbTime => d : (d: Date): DbTime => d.toISOString();
  const readTime = (v: DbTime): Date => (v instanceof Date ? v : new Date(v));
  return {
    time,
    timeOrNull: (d) => (d === null ? null : time(d)),
    readTime,
    readTimeOrNull: (v) => (v === null ? null : readTime(v)),
    readInt: (v) => Number(v),
    json: (list) => JSON.stringify(list),
    readJson: (text, column) => {
      const parsed: unknown = JSON.parse(text);
      if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) {
        throw new WardenError('internal', `store column ${column} does not hold a JSON array of strings`);
      }
      return parsed as string[];
    },
  };
}
