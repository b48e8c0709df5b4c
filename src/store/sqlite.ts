import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { WardenError } from '../core/errors.ts';

/** The embedded store: one SQLite file, WAL so readers never wait for the writer. */
export function openSqlite(path: string): Kysely<any> {
  if (path === '') throw new WardenError('bad_request', 'no SQLite path given; set store.url or the data directory');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let database: SqliteDatabase.Database;
  try {
    database = new SqliteDatabase(path);
  } catch (err) {
    throw new WardenError('bad_request', `cannot open the SQLite store at ${path}; check the path and its permissions`, {
      cause: err,
    });
  }
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  // Another process (a CLI admin command) may hold the write lock briefly.
  database.pragma('busy_timeout = 5000');
  return new Kysely<any>({ dialect: new SqliteDialect({ database }) });
}
