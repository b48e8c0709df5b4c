import { createClassificationCache } from '../cache.ts';
import type { StatementInfo } from '../types.ts';
import { KeyScan } from './cache-key.ts';
import { classifyMysqlCode, unparseableMysql } from './classify.ts';
import { createMysqlParser } from './parser.ts';
import type { MysqlParser } from './parser.ts';
import { scanMysql } from './scan.ts';
import type { Piece } from './scan.ts';

export interface MysqlClassifier {
  /** One entry per statement of `text` (more when the text reads differently under some server settings); frozen, may be shared. */
  classify(text: string): readonly StatementInfo[];
  readonly stats: { hits: number; misses: number; size: number };
}

export interface MysqlClassifierOptions {
  /** Entries kept (default 10 000). */
  cacheSize?: number;
  /** Texts longer than this are classified but not cached (default 16 KiB), bounding memory. */
  maxKeyLength?: number;
  /** A parser other than node-sql-parser's MySQL grammar (tests). */
  parser?: MysqlParser;
}

/**
 * MySQL/MariaDB classification, cached in a bounded LRU by the text with its
 * integer literals normalised (cache-key.ts).
 * The text is read the way every server setting that changes lexing could
 * read it, and the statements of every reading are returned, so policy
 * judges the riskiest one:
 * - executable comments run (`code`), and versioned or MariaDB-only ones are
 *   skipped (`codeWithoutConditional`) — a `/*!99999 WHERE 0 *\/` cannot hide
 *   that the DELETE has no WHERE on an older server;
 * - backslash escapes on (the default) and off (NO_BACKSLASH_ESCAPES), when a
 *   string holds a backslash — in the second reading, a statement cut short
 *   by an unterminated string is dropped because the server rejects it.
 */
export function createMysqlClassifier(options: MysqlClassifierOptions = {}): MysqlClassifier {
  const parser = options.parser ?? createMysqlParser();
  const cache = createClassificationCache(options);
  // The text a miss classifies: one `compute` for every call instead of a closure per statement (the hot path).
  let missed = '';
  const compute = () => classifyUncached(parser, missed);
  // Texts that differ only in integer literals share one entry (cache-key.ts): no integer changes a classification.
  const scan = new KeyScan();
  // The entry of the text read last: a text with the same key for sure (the next sysbench id) gets it
  // without a scan, a key or a hash. It is what the cache just gave for that key (one entry at most
  // outlives the cache's bound), so the answer is the cache's.
  let lastInfos: readonly StatementInfo[] | undefined;
  const classify = (text: string): readonly StatementInfo[] => {
    if (lastInfos !== undefined && scan.sameKey(text)) {
      cache.stats.hits++;
      return lastInfos;
    }
    missed = text;
    scan.read(text);
    // fail closed: should classifying throw, the text read has no entry to hand the next one.
    lastInfos = undefined;
    lastInfos = cache.get(scan.key(), compute);
    return lastInfos;
  };
  return { classify, stats: cache.stats };
}

/** Every statement of every reading of `text`, without duplicates; `[]` for empty (comment-only) text. */
export function classifyUncached(parser: MysqlParser, text: string): StatementInfo[] {
  const primary = scanMysql(text, { backslashEscapes: true });
  // fail closed: a comment inside an executable comment is where lexers disagree.
  if (primary.nestedComment) return [unparseableMysql('a comment inside an executable comment (/*! … */) cannot be read reliably')];
  const out: StatementInfo[] = [];
  const seen = new Set<string>();
  let alternative = false;
  // The main reading keeps every statement in order; other readings add only what it did not already show.
  const push = (i: StatementInfo): void => {
    const key = JSON.stringify(i);
    if (alternative && seen.has(key)) return;
    seen.add(key);
    out.push(i);
  };
  const readPiece = (piece: Piece, dropUnterminated: boolean): void => {
    // The server rejects a statement cut short by an unterminated string, so in an alternative reading it runs nothing.
    if (piece.unterminated && dropUnterminated) return;
    // fail closed: in the main reading an unterminated string or comment is unknown, not ignored.
    if (piece.unterminated) return push(unparseableMysql('unterminated string, identifier or comment'));
    for (const i of classifyMysqlCode(parser, piece.code)) push(i);
    if (piece.codeWithoutConditional !== piece.code && piece.codeWithoutConditional !== '') {
      const was = alternative;
      alternative = true;
      for (const i of classifyMysqlCode(parser, piece.codeWithoutConditional)) push(i);
      alternative = was;
    }
  };
  for (const piece of primary.pieces) readPiece(piece, false);
  if (primary.backslashInString) {
    alternative = true;
    const alt = scanMysql(text, { backslashEscapes: false });
    if (alt.nestedComment) push(unparseableMysql('a comment inside an executable comment (/*! … */) cannot be read reliably'));
    for (const piece of alt.pieces) readPiece(piece, true);
  }
  return out;
}

