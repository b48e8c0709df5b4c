import type { ParseResult, ScanResult } from 'libpg-query';
import { setFlagsFromString } from 'node:v8';
import { createStatementKeys } from './statement-key.ts';

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
  /**
   * `normalize(text)` as the key of every per-statement cache (classification,
   * masking's lineage), remembered for the last texts so the statement path
   * scans each statement once (statement-key.ts). Throws like `normalize`.
   * The memo is this object's: classification and masking share it by being
   * built on the same parser (gateway.ts).
   */
  statementKey(text: string): string;
}

/** Loads the WASM parser (idempotent; libpg-query keeps the instance) and returns its sync API. */
export async function initSql(): Promise<PgParser> {
  // WebAssembly runs on V8's baseline compiler (Liftoff) only, never tiered up to TurboFan.
  // Tiering the PostgreSQL grammar up costs ~120 MB of RSS that the process keeps (the
  // optimizing compiler's scratch memory, in malloc arenas of its worker threads) and, for the
  // few thousand distinct statements a gateway parses, more CPU in compiling than it saves:
  // measured on this machine, 20,000 parses took 0.7 s and 68 MB instead of 1.8 s and 195 MB;
  // in steady state a normalize costs 7.3 µs instead of 5.4 (docs/performance.md, "Memory").
  // Process-wide, and set before libpg-query is imported: it starts compiling its module on
  // import, which is why it is imported here and nowhere else. The demo's PGlite runs on
  // Liftoff too.
  setFlagsFromString('--liftoff-only');
  const { loadModule, normalizeSync, parseSync, scanSync } = await import('libpg-query');
  await loadModule();
  // The grammar's functions are compiled on their first call (lazy WebAssembly compilation), and
  // compiling the scanner and the parser takes ~12 MB of compiler memory for a moment. Done
  // here, at start, that moment comes while the process is still small (cli/gateway.ts loads the
  // parser before the rest of the gateway) instead of on the first statement, on top of
  // everything else: it was most of the gateway's peak RSS before a large result.
  normalizeSync('SELECT 1');
  parseSync('SELECT 1');
  return { parse: parseSync, normalize: normalizeSync, scan: scanSync, statementKey: createStatementKeys(normalizeSync, scanSync) };
}
