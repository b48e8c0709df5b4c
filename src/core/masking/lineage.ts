import type { PgParser } from '../sql/parser.ts';
import type { SourceColumn } from './types.ts';

/**
 * Lineage: for each output column of a query, the source columns it is
 * computed from, through expressions, casts, subqueries (correlated ones and
 * LATERAL included), CTEs, set operations, alias column lists, join aliases
 * and whole-row references, so `reverse(card)` or `encode(email::bytea, 'base64')`
 * is masked as `card`/`email` is.
 * Best effort and over-approximating: an unqualified column is attributed to
 * every relation in scope (and to enclosing query levels unless a derived
 * relation certainly has it). Views are seen through when the caller
 * passes a `ViewResolver` (definitions learned from the target's catalog,
 * see views.ts); function bodies are not, and are left to the content detectors.
 * A `star` entry stands for the columns `*` expands to (unknown count here).
 * A source column `?` is "one column of that table, unknown which" (a column
 * renamed by an alias list): it matches every column rule, as a scalar.
 * `transformed`: the value is computed from its sources (`lower(iban)`,
 * `replace(ssn, '-', '')`), not a source column's value as stored (a column
 * reference, maybe cast): the content detectors then also look for the
 * forms a function may leave (row-masker.ts). Absent: as stored, or not known.
 */
export interface LineageEntry {
  name: string;
  sources: SourceColumn[];
  star?: boolean;
  transformed?: true;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (n: unknown): string | undefined => (isObj(n) && isObj(n.String) ? String(n.String.sval) : undefined);
const strs = (v: unknown): string[] => arr(v).map(str).filter((s): s is string => s !== undefined);

type Item =
  /** `renamed`: an alias column list (`t AS a(i, n)`) renames the table's first columns, which we cannot name. */
  | { alias: string; kind: 'table'; schema: string | undefined; table: string; renamed?: readonly string[] }
  | { alias: string; kind: 'derived'; columns: LineageEntry[] }
  /** `(a JOIN b …) AS j`: the join's alias hides the relations inside it. */
  | { alias: string; kind: 'join'; items: Item[]; renamed?: readonly string[] };
/**
 * Relations a query may name, besides tables: a view's output columns
 * (with their own lineage), undefined for a plain table. Throws
 * `UnknownRelation` when it cannot tell (the caller fails closed).
 */
export type ViewResolver = (schema: string | undefined, name: string) => LineageEntry[] | undefined;

/** A relation the resolver knows nothing about: the statement's lineage is unknown. */
export class UnknownRelation extends Error {}

/** CTE names in scope, and how to see through views. */
interface Ctes {
  readonly names: ReadonlyMap<string, LineageEntry[]>;
  readonly views: ViewResolver | undefined;
}
const rootCtes = (views: ViewResolver | undefined): Ctes => ({ names: new Map(), views });
/** What a column reference can see: this query level's FROM items, then the enclosing levels' (correlated subqueries, LATERAL). */
interface Scope {
  items: readonly Item[];
  outer: Scope | undefined;
}
const scopeOf = (items: readonly Item[], outer?: Scope): Scope => ({ items, outer });

/** Lineage of the result of each statement in `sql` (empty for statements without rows). Throws on invalid SQL. */
export function lineageOf(parser: PgParser, sql: string): LineageEntry[][] {
  return arr(parser.parse(sql).stmts).map((raw) => (isObj(raw) && isObj(raw.stmt) ? statementLineage(raw.stmt, rootCtes(undefined)) : []));
}

/**
 * Like `lineageOf`, seeing through views with `views`; a statement naming a
 * relation the resolver cannot tell about gets `undefined` (unknown lineage).
 */
export function lineageWithViews(parser: PgParser, sql: string, views: ViewResolver): (LineageEntry[] | undefined)[] {
  return arr(parser.parse(sql).stmts).map((raw) => {
    if (!isObj(raw) || !isObj(raw.stmt)) return [];
    try {
      return statementLineage(raw.stmt, rootCtes(views));
    } catch (err) {
      if (err instanceof UnknownRelation) return undefined;
      throw err;
    }
  });
}

/** Lineage of a view's defining query (its first statement) as seen through `views`. Throws UnknownRelation. */
export function viewLineage(parser: PgParser, definition: string, views: ViewResolver): LineageEntry[] {
  const first = arr(parser.parse(definition).stmts)[0];
  return isObj(first) && isObj(first.stmt) ? statementLineage(first.stmt, rootCtes(views)) : [];
}

/** Per output column of the first statement, its source columns (star entries flattened to their sources). */
export function lineage(parser: PgParser, sql: string): SourceColumn[][] {
  return (lineageOf(parser, sql)[0] ?? []).map((e) => e.sources);
}

function statementLineage(stmt: Obj, root: Ctes): LineageEntry[] {
  if (isObj(stmt.SelectStmt)) return selectLineage(stmt.SelectStmt, root);
  // No rows of their own, but `EXECUTE name` / `FETCH … FROM name` return their query's rows:
  // a caller that knows which PREPARE/DECLARE a name stands for takes that statement's lineage.
  if (isObj(stmt.PrepareStmt) && isObj(stmt.PrepareStmt.query)) return statementLineage(stmt.PrepareStmt.query, root);
  if (isObj(stmt.DeclareCursorStmt) && isObj(stmt.DeclareCursorStmt.query)) return statementLineage(stmt.DeclareCursorStmt.query, root);
  if (isObj(stmt.CopyStmt)) {
    const c = stmt.CopyStmt;
    if (isObj(c.query)) return statementLineage(c.query, root);
    if (isObj(c.relation)) {
      const t = tableItem(c.relation, root);
      const cols = strs(c.attlist);
      if (t.kind !== 'table') return starEntries(t);
      if (cols.length > 0) return cols.map((col) => ({ name: col, sources: column(t, col) }));
      return starEntries(t);
    }
    return [];
  }
  for (const k of ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']) {
    const s = stmt[k];
    if (!isObj(s)) continue;
    const ret = isObj(s.returningClause) ? arr(s.returningClause.exprs) : arr(s.returningList);
    const items = isObj(s.relation) ? [tableItem(s.relation, root)] : [];
    // UPDATE … FROM and DELETE … USING relations are visible to RETURNING too.
    for (const f of [...arr(s.fromClause), ...arr(s.usingClause)]) items.push(...fromItems(f, root, undefined, items));
    return targets(ret, scopeOf(items), root);
  }
  return [];
}

function selectLineage(s: Obj, outerCtes: Ctes, outer?: Scope): LineageEntry[] {
  const names = new Map(outerCtes.names);
  const ctes: Ctes = { names, views: outerCtes.views };
  if (isObj(s.withClause)) {
    for (const c of arr(s.withClause.ctes)) {
      if (!isObj(c) || !isObj(c.CommonTableExpr)) continue;
      const cte = c.CommonTableExpr;
      const q = isObj(cte.ctequery) ? cte.ctequery : {};
      const cols = isObj(q.SelectStmt) ? selectLineage(q.SelectStmt, ctes, outer) : statementLineage(q, ctes);
      names.set(String(cte.ctename), rename(cols, strs(cte.aliascolnames)));
    }
  }
  if (s.op !== undefined && s.op !== 'SETOP_NONE') {
    const l = isObj(s.larg) ? selectLineage(s.larg, ctes, outer) : [];
    const r = isObj(s.rarg) ? selectLineage(s.rarg, ctes, outer) : [];
    return l.map((e, i) => withTransformed({ ...e, sources: [...e.sources, ...(r[i]?.sources ?? [])] }, e.transformed === true || r[i]?.transformed === true));
  }
  if (Array.isArray(s.valuesLists)) {
    const rows = s.valuesLists.map((row) => (isObj(row) && isObj(row.List) ? arr(row.List.items) : []));
    const width = rows[0]?.length ?? 0;
    const scope = scopeOf([], outer);
    return Array.from({ length: width }, (_, i) => computed(`column${i + 1}`, dedupe(rows.flatMap((row) => exprSources(row[i], scope, ctes)))));
  }
  const items: Item[] = [];
  for (const f of arr(s.fromClause)) items.push(...fromItems(f, ctes, outer, items));
  return targets(arr(s.targetList), scopeOf(items, outer), ctes);
}

const rename = (cols: LineageEntry[], names: readonly string[]): LineageEntry[] => cols.map((e, i) => ({ ...e, name: names[i] ?? e.name }));
const aliasName = (a: unknown, fallback: string): string => (isObj(a) && typeof a.aliasname === 'string' ? a.aliasname : fallback);
const aliasColumns = (a: unknown): string[] => (isObj(a) ? strs(a.colnames) : []);

/**
 * The relations one FROM entry brings into scope. `before`: the entries to
 * its left at the same level, which a LATERAL subquery or a function in FROM
 * may reference; `outer`: the enclosing query levels, which any subquery may.
 */
function fromItems(node: unknown, ctes: Ctes, outer: Scope | undefined, before: readonly Item[]): Item[] {
  if (!isObj(node)) return [];
  if (isObj(node.RangeVar)) return [tableItem(node.RangeVar, ctes)];
  if (isObj(node.JoinExpr)) {
    const j = node.JoinExpr;
    const l = fromItems(j.larg, ctes, outer, before);
    const r = fromItems(j.rarg, ctes, outer, [...before, ...l]);
    if (!isObj(j.alias)) return [...l, ...r];
    const renamed = aliasColumns(j.alias);
    return [{ alias: aliasName(j.alias, '?join?'), kind: 'join', items: [...l, ...r], ...(renamed.length > 0 ? { renamed } : {}) }];
  }
  if (isObj(node.RangeSubselect)) {
    const rs = node.RangeSubselect;
    const q = isObj(rs.subquery) ? rs.subquery : {};
    const scope = rs.lateral === true ? scopeOf(before, outer) : outer;
    const cols = isObj(q.SelectStmt) ? selectLineage(q.SelectStmt, ctes, scope) : [];
    return [{ alias: aliasName(rs.alias, '?subquery?'), kind: 'derived', columns: rename(cols, aliasColumns(rs.alias)) }];
  }
  if (isObj(node.RangeFunction)) {
    // A function in FROM may read the entries before it (implicitly LATERAL); its columns
    // derive from its arguments, as far as we can tell.
    const rf = node.RangeFunction;
    const sources = dedupe(exprSources(rf.functions, scopeOf(before, outer), ctes));
    const names = aliasColumns(rf.alias);
    const cols = (names.length > 0 ? names : ['?func?']).map((n) => computed(n, sources));
    return [{ alias: aliasName(rf.alias, '?func?'), kind: 'derived', columns: cols }];
  }
  return [];
}

function tableItem(rv: Obj, ctes: Ctes): Item {
  const schema = typeof rv.schemaname === 'string' ? rv.schemaname : undefined;
  const table = String(rv.relname);
  const alias = aliasName(rv.alias, table);
  const renamed = aliasColumns(rv.alias);
  const cte = schema === undefined ? ctes.names.get(table) : undefined;
  if (cte !== undefined) return { alias, kind: 'derived', columns: rename(cte, renamed) };
  const view = ctes.views?.(schema, table);
  if (view !== undefined) return { alias, kind: 'derived', columns: rename(view, renamed) };
  return { alias, kind: 'table', schema, table, ...(renamed.length > 0 ? { renamed } : {}) };
}

/** The relations at the nearest level of `scope` that has one aliased `alias`. */
function byAlias(scope: Scope | undefined, alias: string | undefined): Item[] {
  for (let s = scope; s !== undefined; s = s.outer) {
    const found = s.items.filter((i) => i.alias === alias);
    if (found.length > 0) return found;
  }
  return [];
}

function targets(list: unknown[], scope: Scope, ctes: Ctes): LineageEntry[] {
  const out: LineageEntry[] = [];
  for (const t of list) {
    const rt = isObj(t) && isObj(t.ResTarget) ? t.ResTarget : {};
    const val = rt.val;
    const ref = isObj(val) && isObj(val.ColumnRef) ? arr(val.ColumnRef.fields) : undefined;
    if (ref !== undefined && isObj(ref[ref.length - 1]) && 'A_Star' in (ref[ref.length - 1] as Obj)) {
      const qual = ref.length > 1 ? str(ref[ref.length - 2]) : undefined;
      for (const it of qual === undefined ? scope.items : byAlias(scope, qual)) out.push(...starEntries(it));
      continue;
    }
    const entry = { name: typeof rt.name === 'string' ? rt.name : defaultName(val), sources: dedupe(exprSources(val, scope, ctes)) };
    out.push(withTransformed(entry, entry.sources.length > 0 && !asStored(val, scope)));
  }
  return out;
}

const withTransformed = (e: LineageEntry, transformed: boolean): LineageEntry => {
  if (transformed) return { ...e, transformed: true };
  if (e.transformed === undefined) return e;
  const { transformed: _, ...rest } = e;
  return rest;
};
/** An output column computed from `sources` (sources, if any, make it transformed). */
const computed = (name: string, sources: SourceColumn[]): LineageEntry => (sources.length > 0 ? { name, sources, transformed: true } : { name, sources });

/**
 * Whether an expression is a column's value as stored: a column reference
 * (through derived relations whose column is itself as stored), maybe cast or
 * collated. A cast keeps the characters (`id::text`) or cuts them
 * (`ssn::char(6)`, which alone holds no whole value); anything else computes.
 */
function asStored(val: unknown, scope: Scope): boolean {
  if (!isObj(val)) return false;
  if (isObj(val.TypeCast)) return asStored(val.TypeCast.arg, scope);
  if (isObj(val.CollateClause)) return asStored(val.CollateClause.arg, scope);
  if (!isObj(val.ColumnRef)) return false;
  const fields = arr(val.ColumnRef.fields).map(str);
  const col = fields.at(-1);
  if (col === undefined) return false;
  if (fields.length > 1) return !byAlias(scope, fields[fields.length - 2]).some((i) => computedIn(i, col));
  // `c` alone: a whole-row reference to the relation aliased `c`, or a column of any relation in scope.
  if (byAlias(scope, col).some((i) => computedIn(i, undefined))) return false;
  for (let s: Scope | undefined = scope; s !== undefined; s = s.outer) if (s.items.some((i) => computedIn(i, col))) return false;
  return true;
}

/** Whether column `col` (undefined: any column) of a relation is computed: a derived relation's transformed column. */
function computedIn(i: Item, col: string | undefined): boolean {
  if (i.kind === 'table') return false;
  if (i.kind === 'join') return i.items.some((x) => computedIn(x, col !== undefined && i.renamed?.includes(col) === true ? undefined : col));
  return i.columns.some((c) => c.transformed === true && (col === undefined || c.star === true || c.name === col));
}

/** What `alias.*` expands to. */
function starEntries(i: Item): LineageEntry[] {
  if (i.kind === 'derived') return i.columns;
  const star = (sources: SourceColumn[]): LineageEntry => ({ name: '*', star: true, sources });
  if (i.kind === 'join') return i.renamed !== undefined ? [star(anyColumn(i))] : i.items.flatMap(starEntries);
  const whole = star([{ schema: i.schema, table: i.table, column: '*' }]);
  // The renamed leading columns are unknown ones of the table; the rest keep their names.
  return [...(i.renamed ?? []).map((name) => ({ name, sources: anyColumn(i) })), whole];
}

/** PostgreSQL's own naming of an unnamed output column, roughly. */
function defaultName(val: unknown): string {
  if (!isObj(val)) return '?column?';
  if (isObj(val.ColumnRef)) return str(arr(val.ColumnRef.fields).at(-1)) ?? '?column?';
  if (isObj(val.FuncCall)) return str(arr(val.FuncCall.funcname).at(-1)) ?? '?column?';
  if (isObj(val.TypeCast)) return defaultName(val.TypeCast.arg);
  return '?column?';
}

/** Every source column an expression reads. */
function exprSources(node: unknown, scope: Scope, ctes: Ctes): SourceColumn[] {
  if (Array.isArray(node)) return node.flatMap((n) => exprSources(n, scope, ctes));
  if (!isObj(node)) return [];
  if (isObj(node.ColumnRef)) return columnRef(arr(node.ColumnRef.fields).map(str), scope);
  if (isObj(node.SubLink) && isObj(node.SubLink.subselect) && isObj(node.SubLink.subselect.SelectStmt)) {
    // A subquery sees this level's relations (a correlated `(select reverse(card))`).
    const inner = selectLineage(node.SubLink.subselect.SelectStmt, ctes, scope).flatMap((e) => e.sources);
    return [...inner, ...exprSources(node.SubLink.testexpr, scope, ctes)];
  }
  return Object.values(node).flatMap((v) => exprSources(v, scope, ctes));
}

function columnRef(fields: (string | undefined)[], scope: Scope): SourceColumn[] {
  const col = fields.at(-1);
  if (col === undefined) return [];
  if (fields.length === 1) {
    // `c` alone may be a whole-row reference to the relation aliased `c` (row_to_json(c)).
    const fromWhole = byAlias(scope, col).flatMap(wholeRow);
    return [...fromWhole, ...unqualified(scope, col)];
  }
  const qual = fields[fields.length - 2];
  const matching = byAlias(scope, qual);
  if (matching.length === 0) return [{ schema: fields.length > 2 ? fields[fields.length - 3] : undefined, table: qual ?? '?', column: col }];
  return matching.flatMap((i) => column(i, col));
}

/**
 * An unqualified column: every relation of the innermost level, and of the
 * enclosing levels too unless a relation here certainly has that column
 * (we do not know a table's columns, so a table here does not stop the search).
 */
function unqualified(scope: Scope, col: string): SourceColumn[] {
  const out: SourceColumn[] = [];
  for (let s: Scope | undefined = scope; s !== undefined; s = s.outer) {
    out.push(...s.items.flatMap((i) => column(i, col)));
    if (s.items.some((i) => certainlyHas(i, col))) break;
  }
  return out;
}

function certainlyHas(i: Item, col: string): boolean {
  if (i.kind === 'derived') return i.columns.some((c) => c.star !== true && c.name === col);
  if (i.renamed?.includes(col) === true) return true;
  return i.kind === 'join' && i.items.some((x) => certainlyHas(x, col));
}

function column(i: Item, col: string): SourceColumn[] {
  if (i.kind === 'derived') return i.columns.filter((c) => c.name === col || c.star === true).flatMap((c) => c.sources);
  if (i.renamed?.includes(col) === true) return anyColumn(i);
  if (i.kind === 'table') return [{ schema: i.schema, table: i.table, column: col }];
  return i.items.flatMap((x) => column(x, col));
}

/** Any single column of the relation (a renamed one we cannot name). */
function anyColumn(i: Item): SourceColumn[] {
  if (i.kind === 'table') return [{ schema: i.schema, table: i.table, column: '?' }];
  if (i.kind === 'derived') return i.columns.flatMap((c) => c.sources);
  return i.items.flatMap(anyColumn);
}

function wholeRow(i: Item): SourceColumn[] {
  if (i.kind === 'table') return [{ schema: i.schema, table: i.table, column: '*' }];
  if (i.kind === 'derived') return i.columns.flatMap((c) => c.sources);
  return i.items.flatMap(wholeRow);
}
function dedupe(s: SourceColumn[]): SourceColumn[] {
  const seen = new Set<string>();
  return s.filter((c) => {
    const k = `${c.schema ?? ''}.${c.table}.${c.column}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/**
 * Sources per output column once the column count is known: entries before a
 * single `*` align from the start, entries after it from the end, and the
 * columns in between get the star's sources. Anything else that does not
 * line up gives every column every source (over-masking beats leaking).
 */
export function alignLineage(entries: readonly LineageEntry[], count: number, names?: readonly string[]): SourceColumn[][] {
  // A column that `*` expanded to is the source column of the same name, not the whole row.
  const named = (e: LineageEntry, i: number): SourceColumn[] =>
    e.star === true && names?.[i] !== undefined ? e.sources.map((s) => (s.column === '*' ? { ...s, column: names[i]! } : s)) : e.sources;
  const stars = entries.filter((e) => e.star === true).length;
  if (stars === 0 && entries.length === count) return entries.map((e) => e.sources);
  const k = entries.findIndex((e) => e.star === true);
  const after = entries.length - k - 1;
  if (stars === 1 && count >= entries.length - 1) {
    return Array.from({ length: count }, (_, i) => named(i < k ? entries[i]! : i >= count - after ? entries[entries.length - (count - i)]! : entries[k]!, i));
  }
  const plain = dedupe(entries.flatMap((e) => (e.star === true ? [] : e.sources)));
  const starred = entries.filter((e) => e.star === true);
  return Array.from({ length: count }, (_, i) => dedupe([...plain, ...starred.flatMap((e) => named(e, i))]));
}

/**
 * Per output column, whether it is `transformed`, aligned as `alignLineage`
 * aligns sources; when the entries do not line up, every column is
 * transformed if any entry is (the lenient detectors: over-masking beats leaking).
 */
export function alignTransformed(entries: readonly LineageEntry[], count: number): boolean[] {
  const stars = entries.filter((e) => e.star === true).length;
  if (stars === 0 && entries.length === count) return entries.map((e) => e.transformed === true);
  const k = entries.findIndex((e) => e.star === true);
  const after = entries.length - k - 1;
  if (stars === 1 && count >= entries.length - 1) {
    return Array.from({ length: count }, (_, i) => (i < k ? entries[i]! : i >= count - after ? entries[entries.length - (count - i)]! : entries[k]!).transformed === true);
  }
  return new Array<boolean>(count).fill(entries.some((e) => e.transformed === true));
}
