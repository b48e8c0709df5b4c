import { loadModule, normalizeSync, parseSync, scanSync } from 'libpg-query';
import type { ParseResult, ScanResult } from 'libpg-query';

/**
 * The real PostgreSQL parser (libpg-query, WASM). You only get one from
 * `initSql()`, which awaits the WASM load, so every sync call below is safe:
 * code that holds a `PgParser` cannot call the parser before it is loaded.
 */
export interface PgParser {
  /** Throws the parser's SqlError for invalid SQL. */
  parse(text: string): ParseResult;
  /** Literals replaced by `$n` by the PostgreSQL scanner; throws for invalid SQL. */
  normalize(text: string): string;
  scan(text: string): ScanResult;
}

/** Loads the WASM parser (idempotent; libpg-query keeps the instance) and returns its sync API. */
export async function initSql(): Promise<PgParser> {
  await loadModule();
  return { parse: parseSync, normalize: normalizeSync, scan: scanSync };
}
