import { classifyPostgres, functionRisk, unparseable } from './classify.ts';
import { createClassificationCache } from './cache.ts';
import type { PgParser } from './parser.ts';
import { riskiest } from './types.ts';
import type { StatementInfo } from './types.ts';

export interface ClassifyOptions {
  /**
   * Texts of the statements the session prepared with SQL `PREPARE`, by name
   * (the whole query text that prepared it is fine). Without it, `EXECUTE name`
   * is `unknown` (fail closed).
   */
  prepared?: ReadonlyMap<string, string>;
}

export interface PostgresClassifier {
  /** One entry per statement of `text`; entries are frozen and may be shared between calls. */
  classify(text: string, options?: ClassifyOptions): readonly StatementInfo[];
  readonly stats: { hits: number; misses: number; size: number };
}

export interface ClassifierOptions {
  /** Entries kept (default 10 000). */
  cacheSize?: number;
  /** Normalized texts longer than this are classified but not cached (default 16 KiB), bounding memory. */
  maxKeyLength?: number;
}

/**
 * Classification with a bounded LRU cache. The key is the statement with its
 * literals replaced by `$n` by PostgreSQL's own scanner (libpg-query
 * normalize, as `parser.statementKey`: masking's lineage uses the same key,
 * computed once per statement), so `… WHERE aid = 1` and `… WHERE aid = 2` share one entry.
 * This is sound because nothing in a `StatementInfo` depends on a literal
 * value: classes, kinds, tables and functions come from the statement's
 * structure, and contents that are literals (DO bodies, function bodies,
 * `SET ROLE` names, COPY file names, EXPLAIN option values) are never read.
 * What is cached: frozen StatementInfo arrays (no text, no positions, no values).
 */
export function createPostgresClassifier(parser: PgParser, options: ClassifierOptions = {}): PostgresClassifier {
  const cache = createClassificationCache(options);

  const base = (text: string): readonly StatementInfo[] => {
    // PostgreSQL answers an empty query with EmptyQueryResponse: nothing to classify.
    if (isBlank(text)) return [];
    let key: string;
    try {
      key = parser.statementKey(text);
    } catch (err) {
      // fail closed: what PostgreSQL's scanner rejects is one unknown statement.
      return [unparseable(err instanceof Error ? err.message : String(err))];
    }
    return cache.get(key, () => classifyPostgres(parser, text));
  };

  const classify = (text: string, opts?: ClassifyOptions): readonly StatementInfo[] => {
    const infos = base(text);
    const prepared = opts?.prepared;
    if (prepared === undefined || !hasExecute(infos)) return infos;
    return infos.map((i) => (i.kind === 'ExecuteStmt' ? resolveExecute(i, prepared, base) : i));
  };

  return { classify, stats: cache.stats };
}

/** `text.trim() === ''` without a call for the usual text, one that starts with a printable ASCII character. */
function isBlank(text: string): boolean {
  const c = text.charCodeAt(0);
  return !(c > 0x20 && c < 0x7f) && text.trim() === '';
}

/** Whether a statement is an `EXECUTE`. A loop, not `some` with an arrow: this runs for every statement. */
function hasExecute(infos: readonly StatementInfo[]): boolean {
  for (let i = 0; i < infos.length; i++) if (infos[i]!.kind === 'ExecuteStmt') return true;
  return false;
}

/** `EXECUTE name` takes the class of what `PREPARE name` prepared, and of what its parameters call. */
function resolveExecute(exec: StatementInfo, prepared: ReadonlyMap<string, string>, base: (t: string) => readonly StatementInfo[]): StatementInfo {
  const name = exec.executes;
  const text = name === undefined ? undefined : prepared.get(name);
  if (name === undefined || text === undefined) return exec;
  const all = base(text);
  const own = all.filter((i) => i.preparedName === name);
  const inner = own.length > 0 ? own : all;
  const params = exec.functions.map(functionRisk);
  return Object.freeze({
    ...exec,
    class: riskiest([...inner.map((i) => i.class), ...params.map((p) => p.cls)]),
    kinds: [...exec.kinds, ...inner.flatMap((i) => i.kinds.filter((k) => k !== 'PrepareStmt'))],
    tables: inner.flatMap((i) => i.tables),
    functions: [...exec.functions, ...inner.flatMap((i) => i.functions)],
    dangerous: [...exec.dangerous, ...inner.flatMap((i) => i.dangerous)],
    updateOrDeleteWithoutWhere: inner.some((i) => i.updateOrDeleteWithoutWhere),
    reasons: [`EXECUTE ${name}: ${inner.flatMap((i) => i.reasons).join('; ')}`, ...params.filter((p) => p.reason !== '').map((p) => p.reason)],
  });
}

