import type { LineageEntry, ViewResolver } from '../../masking/lineage.ts';
import type { SourceColumn } from '../../masking/types.ts';
import { Lru } from '../lru.ts';
import { createMysqlParser, type MysqlParser } from './parser.ts';
import { scanMysql } from './scan.ts';

/**
 * Lineage for MySQL: for each output column of a SELECT, the base columns it
 * is computed from, through derived tables, CTEs, aliases, expressions,
 * scalar subqueries and UNIONs (node-sql-parser's AST). MariaDB's column
 * definitions name a derived table's alias (`select e from (select email e
 * from t) d` reports `d.e`), so masking rules keyed on `schema.table.column`
 * need this to see `t.email`. Same shape and over-approximation as the
 * PostgreSQL lineage (core/masking/lineage.ts): an unqualified column is
 * attributed to every relation in scope; `*` is a star entry.
 * Views are seen through when a `ViewResolver` is passed (definitions learned
 * from the target's catalog, see ./views.ts); without one a view is a table.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

type Item = { alias: string; kind: 'table'; schema: string | undefined; table: string } | { alias: string; kind: 'derived'; columns: LineageEntry[] };
interface Scope {
  items: readonly Item[];
  outer: Scope | undefined;
}
/** CTE names in scope (lower case), and how to see through views. */
interface Ctes {
  readonly names: ReadonlyMap<string, LineageEntry[]>;
  readonly views: ViewResolver | undefined;
}

/** Lineage per statement of a text (see mysqlLineage); undefined: unknown. */
export type MysqlLineage = (text: string) => (LineageEntry[] | undefined)[] | undefined;

/** mysqlLineage with its own parser and a cache by text (results are shared: never mutate them). */
export function createMysqlLineage(cacheSize = 512): MysqlLineage {
  const parser = createMysqlParser();
  const cache = new Lru<string, (LineageEntry[] | undefined)[] | null>(cacheSize);
  return (text) => {
    let hit = cache.get(text);
    if (hit === undefined) cache.set(text, (hit = mysqlLineage(parser, text) ?? null));
    return hit ?? undefined;
  };
}

/** A shape this module does not follow: the statement's lineage is unknown. */
class Unsupported extends Error {}

/**
 * Lineage per statement of `text` (one entry per statement: [] for one
 * without rows). undefined: unknown — unparseable, or a shape not followed;
 * callers then rely on the column definitions alone.
 */
export function mysqlLineage(parser: MysqlParser, text: string, views?: ViewResolver): (LineageEntry[] | undefined)[] | undefined {
  const scan = scanMysql(text, { backslashEscapes: true });
  // fail closed: where servers could read the text differently, no one reading is trusted.
  if (scan.nestedComment) return undefined;
  const out: (LineageEntry[] | undefined)[] = [];
  for (const piece of scan.pieces) {
    if (piece.code.trim() === '') continue;
    if (piece.codeWithoutConditional !== piece.code) return undefined;
    try {
      const asts = arr(parser.parse(piece.code).ast);
      // SELECT … INTO sends no rows: it must not take the lineage slot of the next result.
      for (const a of asts) out.push(isObj(a) && a.type === 'select' && !(isObj(a.into) && a.into.type === 'into') ? selectLineage(a, { names: new Map(), views }, undefined) : []);
    } catch {
      out.push(undefined); // unparseable, a shape not followed, or a relation the resolver cannot tell (UnknownRelation)
    }
  }
  return out;
}

/**
 * Lineage of a view's defining query (`information_schema.VIEWS.VIEW_DEFINITION`,
 * every relation schema-qualified) seen through `views`. Throws
 * UnknownRelation for a relation inside that is not known, anything else
 * when the definition cannot be followed.
 */
export function definitionLineage(parser: MysqlParser, definition: string, views: ViewResolver): LineageEntry[] {
  const asts = arr(parser.parse(definition).ast);
  const a = asts[0];
  if (asts.length !== 1 || !isObj(a) || a.type !== 'select') throw new Unsupported();
  return selectLineage(a, { names: new Map(), views }, undefined);
}

const name = (v: unknown): string | undefined => {
  if (typeof v === 'string') return v;
  if (isObj(v) && v.type === 'column_ref') return name(v.column);
  if (isObj(v) && isObj(v.expr) && typeof v.expr.value === 'string') return v.expr.value;
  if (isObj(v) && typeof v.value === 'string') return v.value;
  return undefined;
};

function selectLineage(s: Obj, outerCtes: Ctes, outer: Scope | undefined): LineageEntry[] {
  const names = new Map(outerCtes.names);
  const ctes: Ctes = { names, views: outerCtes.views };
  for (const w of arr(s.with)) {
    if (!isObj(w)) throw new Unsupported();
    const stmt = isObj(w.stmt) ? (isObj(w.stmt.ast) ? w.stmt.ast : w.stmt) : undefined;
    const cteName = name(w.name);
    if (stmt === undefined || cteName === undefined) throw new Unsupported();
    const cols = selectLineage(stmt, ctes, outer);
    const renamed = arr(w.columns).map(name);
    names.set(cteName.toLowerCase(), cols.map((e, i) => ({ ...e, name: renamed[i] ?? e.name })));
  }
  const items: Item[] = [];
  for (const f of arr(s.from)) items.push(fromItem(f, ctes, outer));
  const scope: Scope = { items, outer };
  const own = columns(s.columns, scope, ctes);
  if (isObj(s._next)) {
    const next = selectLineage(s._next, ctes, outer);
    return own.map((e, i) => {
      const merged: LineageEntry = { ...e, sources: dedupe([...e.sources, ...(next[i]?.sources ?? [])]) };
      return next[i]?.transformed === true ? { ...merged, transformed: true } : merged;
    });
  }
  return own;
}

function fromItem(f: unknown, ctes: Ctes, outer: Scope | undefined): Item {
  if (!isObj(f)) throw new Unsupported();
  if (isObj(f.expr) && isObj(f.expr.ast)) {
    // A derived table sees only the enclosing levels (LATERAL is not followed).
    return { alias: name(f.as) ?? '?derived?', kind: 'derived', columns: selectLineage(f.expr.ast, ctes, outer) };
  }
  if (typeof f.table === 'string') {
    const schema = typeof f.db === 'string' ? f.db : undefined;
    const alias = name(f.as) ?? f.table;
    const cte = schema === undefined ? ctes.names.get(f.table.toLowerCase()) : undefined;
    if (cte !== undefined) return { alias, kind: 'derived', columns: cte };
    const view = ctes.views?.(schema, f.table);
    if (view !== undefined) return { alias, kind: 'derived', columns: view };
    return { alias, kind: 'table', schema, table: f.table };
  }
  // Table functions (JSON_TABLE…), VALUES in FROM and the like.
  throw new Unsupported();
}

function columns(list: unknown, scope: Scope, ctes: Ctes): LineageEntry[] {
  if (list === '*') return scope.items.flatMap(starEntries);
  const out: LineageEntry[] = [];
  for (const c of arr(list)) {
    if (!isObj(c)) throw new Unsupported();
    const e = c.expr;
    if (isObj(e) && e.type === 'column_ref' && name(e.column) === '*') {
      const qual = typeof e.table === 'string' ? e.table : undefined;
      out.push(...(qual === undefined ? scope.items : byAlias(scope, qual)).flatMap(starEntries));
      continue;
    }
    const entry: LineageEntry = { name: name(c.as) ?? (isObj(e) && e.type === 'column_ref' ? (name(e.column) ?? '?column?') : '?column?'), sources: dedupe(exprSources(e, scope, ctes)) };
    out.push(entry.sources.length > 0 && !asStored(e, scope) ? { ...entry, transformed: true } : entry);
  }
  return out;
}

/** Whether an expression is a column's value as stored: a column reference (maybe cast or collated), as in core/masking/lineage.ts. */
function asStored(e: unknown, scope: Scope): boolean {
  if (!isObj(e)) return false;
  if (e.type === 'cast') return asStored(e.expr, scope);
  if (e.type !== 'column_ref') return false;
  const col = name(e.column);
  if (col === undefined) return false;
  const computed = (i: Item) => i.kind === 'derived' && i.columns.some((c) => c.transformed === true && (c.star === true || same(c.name, col)));
  if (typeof e.table === 'string') return !byAlias(scope, e.table).some(computed);
  for (let s: Scope | undefined = scope; s !== undefined; s = s.outer) if (s.items.some(computed)) return false;
  return true;
}

function starEntries(i: Item): LineageEntry[] {
  if (i.kind === 'derived') return i.columns;
  return [{ name: '*', star: true, sources: [{ schema: i.schema, table: i.table, column: '*' }] }];
}

function byAlias(scope: Scope | undefined, alias: string): Item[] {
  for (let s = scope; s !== undefined; s = s.outer) {
    const found = s.items.filter((i) => i.alias === alias);
    if (found.length > 0) return found;
  }
  return [];
}

/** Every source column an expression reads. */
function exprSources(node: unknown, scope: Scope, ctes: Ctes): SourceColumn[] {
  if (Array.isArray(node)) return node.flatMap((n) => exprSources(n, scope, ctes));
  if (!isObj(node)) return [];
  if (node.type === 'column_ref') return columnRef(node, scope);
  // A scalar or EXISTS/IN subquery sees this level's relations (correlated).
  if (isObj(node.ast)) return selectLineage(node.ast, ctes, scope).flatMap((e) => e.sources);
  return Object.values(node).flatMap((v) => exprSources(v, scope, ctes));
}

function columnRef(ref: Obj, scope: Scope): SourceColumn[] {
  const col = name(ref.column);
  if (col === undefined) return [];
  const table = typeof ref.table === 'string' ? ref.table : undefined;
  if (table !== undefined) {
    const matching = byAlias(scope, table);
    if (matching.length === 0) return [{ schema: typeof ref.db === 'string' ? ref.db : undefined, table, column: col }];
    return matching.flatMap((i) => column(i, col));
  }
  // Unqualified: every relation of the innermost level, and outer levels unless a derived relation here has it.
  const out: SourceColumn[] = [];
  for (let s: Scope | undefined = scope; s !== undefined; s = s.outer) {
    out.push(...s.items.flatMap((i) => column(i, col)));
    if (s.items.some((i) => i.kind === 'derived' && i.columns.some((c) => c.star !== true && same(c.name, col)))) break;
  }
  return out;
}

/** MySQL column names are case-insensitive. */
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function column(i: Item, col: string): SourceColumn[] {
  if (i.kind === 'table') return [{ schema: i.schema, table: i.table, column: col }];
  // Through a `*` of the derived table, the column is the base table's column of that name.
  return i.columns.filter((c) => c.star === true || same(c.name, col)).flatMap((c) => (c.star === true ? c.sources.map((s) => (s.column === '*' ? { ...s, column: col } : s)) : c.sources));
}

function dedupe(s: SourceColumn[]): SourceColumn[] {
  const seen = new Set<string>();
  return s.filter((c) => {
    const k = `${c.schema ?? ''}.${c.table}.${c.column}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}
