import { createHmac } from 'node:crypto';
import type { MaskingServices } from '../services.ts';
import { Lru } from '../sql/lru.ts';
import type { PgParser } from '../sql/parser.ts';
import { lineageOf, type LineageEntry } from './lineage.ts';

/**
 * What protocols need to mask results: the installation's hash key, and the
 * lineage of a statement's output columns, parsed once per distinct text
 * (a prepared statement or a repeated query is not re-parsed per result).
 */
export function createMaskingServices(parser: PgParser, masterKey: Buffer): MaskingServices {
  const cache = new Lru<string, LineageEntry[][]>(2_000);
  return {
    // Derived, not stored: deterministic masks line up across replicas sharing the master key.
    hashKey: createHmac('sha256', masterKey).update('warden:masking:hash:v1').digest(),
    lineage(text) {
      let entries = cache.get(text);
      if (entries === undefined) {
        try {
          entries = lineageOf(parser, text);
        } catch {
          entries = []; // unparseable: no lineage, content detectors still apply
        }
        if (text.length <= 16_384) cache.set(text, entries);
      }
      return entries;
    },
  };
}
