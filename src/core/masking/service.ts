import { createHmac } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { MaskingServices } from '../services.ts';
import { Lru } from '../sql/lru.ts';
import type { PgParser } from '../sql/parser.ts';
import { lineageOf, type LineageEntry } from './lineage.ts';
import { statementFacts, type StatementFacts } from './statements.ts';
import { pgLineageKey, pgViewDialect, SessionLineage } from './views.ts';

/** How long a learned view definition is trusted before the catalog is asked again (changes made outside the gateway). */
export const viewTtlMs = 60_000;

/** Only statements with one of these words can have COPY or cursor facts: the others skip the parse. */
const factWords = /\b(?:copy|fetch|declare|close)\b/i;

/**
 * What protocols need to mask results: the installation's hash key, and the
 * lineage of a statement's output columns, parsed once per distinct text up
 * to literal values (a prepared statement, a repeated query or the same query
 * with other literals is not re-parsed per result): keyed by the scanner's
 * normalised text that classification computed for the statement already
 * (`pgLineageKey`). COPY and cursor facts are keyed by the exact text.
 */
export function createMaskingServices(parser: PgParser, masterKey: Buffer, clock: Clock): MaskingServices {
  const cache = new Lru<string, LineageEntry[][]>(2_000);
  const facts = new Lru<string, StatementFacts[]>(2_000);
  let lastFacts: { text: string; facts: StatementFacts[] } = { text: '', facts: [] };
  return {
    // Derived, not stored: deterministic masks line up across replicas sharing the master key.
    hashKey: createHmac('sha256', masterKey).update('warden:masking:hash:v1').digest(),
    lineage(text) {
      const key = pgLineageKey(parser, text);
      let entries = cache.get(key);
      if (entries === undefined) {
        try {
          entries = lineageOf(parser, text);
        } catch {
          // Unparseable: no lineage, content detectors still apply. Not cached: whatever else
          // shares its key (libpg-query returns some scanner errors as the "normalised" text) gets its own parse.
          return [];
        }
        if (key.length <= 16_384) cache.set(key, entries);
      }
      return entries;
    },
    // Keyed by the exact text: COPY options are literals (`delimiter ';'`) and change how lines split.
    facts(text) {
      if (text === lastFacts.text) return lastFacts.facts; // asked several times per statement
      if (!factWords.test(text)) {
        lastFacts = { text, facts: [] };
        return lastFacts.facts;
      }
      let f = facts.get(text);
      if (f === undefined) {
        try {
          f = statementFacts(parser, text);
        } catch {
          f = []; // unparseable: the target refuses it too
        }
        if (text.length <= 16_384) facts.set(text, f);
      }
      lastFacts = { text, facts: f };
      return f;
    },
    session: (catalog) => new SessionLineage(pgViewDialect(parser), catalog, clock, viewTtlMs),
  };
}
