import type { PgParser } from '../sql/parser.ts';
import type { SourceColumn } from './types.ts';

/**
 * Lineage: for each output column of a query, the source columns it is
 * computed from, through expressions, casts, subqueries, CTEs, set
 * operations and whole-row references, so `reverse(card)` or
 * `encode(email::bytea, 'base64')` is masked as `card`/`email` is.
 * Best effort and over-approximating: an unqualified column is attributed to
 * every relation in scope. What it cannot see (views, function bodies) is
 * left to the content detectors.
 * A `star` entry stands for the columns `*` expands to (unknown count here).
 */
export interface LineageEntry {
  name: string;
  sources: SourceColumn[];
  star?: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (n: unknown): string | undefined => (isObj(n) && isObj(n.String) ? String(n.String.sval) : undefined);

type Item =
  | { alias: string; kind: 'table'; schema: string | undefined; table: string }
  | { alias: string; kind: 'derived'; columns: LineageEntry[] };
type Ctes = ReadonlyMap<string, LineageEntry[]>;

/** Lineage of the result of each statement in `sql` (empty for statements without rows). Throws on invalid SQL. */
export function lineageOf(parser: PgParser, sql: string): LineageEntry[][] {
  return arr(parser.parse(sql).stmts).map((raw) => (isObj(raw) && isObj(raw.stmt) ? statementLineage(raw.stmt) : []));
}

/** Per output column of the first statement, its source columns (star entries flattened to their sources). */
export function lineage(parser: PgParser, sql: string): SourceColumn[][] {
  return (lineageOf(parser, sql)[0] ?? []).map((e) => e.sources);
}

function statementLineage(stmt: Obj): LineageEntry[] {
  if (isObj(stmt.SelectStmt)) return selectLineage(stmt.SelectStmt, new Map());
  if (isObj(stmt.CopyStmt)) {
    const c = stmt.CopyStmt;
    if (isObj(c.query)) return statementLineage(c.query);
    if (isObj(c.relation)) {
      const t = tableItem(c.relation, new Map());
      const cols = arr(c.attlist).map(str).filter((s): s is string => s !== undefined);
      if (t.kind !== 'table') return t.columns;
      if (cols.length > 0) return cols.map((col) => ({ name: col, sources: [{ schema: t.schema, table: t.table, column: col }] }));
      return [{ name: '*', star: true, sources: [{ schema: t.schema, table: t.table, column: '*' }] }];
    }
    return [];
  }
  for (const k of ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']) {
    const s = stmt[k];
    if (!isObj(s)) continue;
    const ret = isObj(s.returningClause) ? arr(s.returningClause.exprs) : arr(s.returningList);
    const items = isObj(s.relation) ? [tableItem(s.relation, new Map())] : [];
    return targets(ret, items, new Map());
  }
  if (isObj(stmt.ExplainStmt)) return [];
  return [];
}

function selectLineage(s: Obj, outer: Ctes): LineageEntry[] {
  const ctes = new Map(outer);
  if (isObj(s.withClause)) {
    for (const c of arr(s.withClause.ctes)) {
      if (!isObj(c) || !isObj(c.CommonTableExpr)) continue;
      const cte = c.CommonTableExpr;
      const q = isObj(cte.ctequery) ? cte.ctequery : {};
      let cols = isObj(q.SelectStmt) ? selectLineage(q.SelectStmt, ctes) : statementLineage(q);
      const names = arr(cte.aliascolnames).map(str);
      cols = cols.map((e, i) => ({ ...e, name: names[i] ?? e.name }));
      ctes.set(String(cte.ctename), cols);
    }
  }
  if (s.op !== undefined && s.op !== 'SETOP_NONE') {
    const l = isObj(s.larg) ? selectLineage(s.larg, ctes) : [];
    const r = isObj(s.rarg) ? selectLineage(s.rarg, ctes) : [];
    return l.map((e, i) => ({ ...e, sources: [...e.sources, ...(r[i]?.sources ?? [])] }));
  }
  if (Array.isArray(s.valuesLists)) {
    const rows = s.valuesLists.map((row) => (isObj(row) && isObj(row.List) ? arr(row.List.items) : []));
    const width = rows[0]?.length ?? 0;
    return Array.from({ length: width }, (_, i) => ({ name: `column${i + 1}`, sources: rows.flatMap((row) => exprSources(row[i], [], ctes)) }));
  }
  const items = arr(s.fromClause).flatMap((f) => fromItems(f, ctes));
  return targets(arr(s.targetList), items, ctes);
}

function fromItems(node: unknown, ctes: Ctes): Item[] {
  if (!isObj(node)) return [];
  if (isObj(node.RangeVar)) return [tableItem(node.RangeVar, ctes)];
  if (isObj(node.JoinExpr)) return [...fromItems(node.JoinExpr.larg, ctes), ...fromItems(node.JoinExpr.rarg, ctes)];
  const alias = (a: unknown, fallback: string) => (isObj(a) && typeof a.aliasname === 'string' ? a.aliasname : fallback);
  const rename = (cols: LineageEntry[], a: unknown) => {
    const names = isObj(a) ? arr(a.colnames).map(str) : [];
    return cols.map((e, i) => ({ ...e, name: names[i] ?? e.name }));
  };
  if (isObj(node.RangeSubselect)) {
    const q = isObj(node.RangeSubselect.subquery) ? node.RangeSubselect.subquery : {};
    const cols = isObj(q.SelectStmt) ? selectLineage(q.SelectStmt, ctes) : [];
    return [{ alias: alias(node.RangeSubselect.alias, '?subquery?'), kind: 'derived', columns: rename(cols, node.RangeSubselect.alias) }];
  }
  if (isObj(node.RangeFunction)) {
    // A set-returning function: its columns derive from its arguments, as far as we can tell.
    const sources = exprSources(node.RangeFunction.functions, [], ctes);
    const names = isObj(node.RangeFunction.alias) ? arr(node.RangeFunction.alias.colnames).map(str) : [];
    const cols = (names.length > 0 ? names : ['?func?']).map((n) => ({ name: n ?? '?func?', sources }));
    return [{ alias: alias(node.RangeFunction.alias, '?func?'), kind: 'derived', columns: cols }];
  }
  return [];
}

function tableItem(rv: Obj, ctes: Ctes): Item {
  const schema = typeof rv.schemaname === 'string' ? rv.schemaname : undefined;
  const table = String(rv.relname);
  const alias = isObj(rv.alias) && typeof rv.alias.aliasname === 'string' ? rv.alias.aliasname : table;
  const cte = schema === undefined ? ctes.get(table) : undefined;
  return cte !== undefined ? { alias, kind: 'derived', columns: cte } : { alias, kind: 'table', schema, table };
}

function targets(list: unknown[], items: Item[], ctes: Ctes): LineageEntry[] {
  const out: LineageEntry[] = [];
  for (const t of list) {
    const rt = isObj(t) && isObj(t.ResTarget) ? t.ResTarget : {};
    const val = rt.val;
    const ref = isObj(val) && isObj(val.ColumnRef) ? arr(val.ColumnRef.fields) : undefined;
    if (ref !== undefined && isObj(ref[ref.length - 1]) && 'A_Star' in (ref[ref.length - 1] as Obj)) {
      const qual = ref.length > 1 ? str(ref[ref.length - 2]) : undefined;
      for (const it of items.filter((i) => qual === undefined || i.alias === qual)) {
        if (it.kind === 'derived') out.push(...it.columns);
        else out.push({ name: '*', star: true, sources: [{ schema: it.schema, table: it.table, column: '*' }] });
      }
      continue;
    }
    out.push({ name: typeof rt.name === 'string' ? rt.name : defaultName(val), sources: dedupe(exprSources(val, items, ctes)) });
  }
  return out;
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
function exprSources(node: unknown, items: Item[], ctes: Ctes): SourceColumn[] {
  if (Array.isArray(node)) return node.flatMap((n) => exprSources(n, items, ctes));
  if (!isObj(node)) return [];
  if (isObj(node.ColumnRef)) return columnRef(arr(node.ColumnRef.fields).map(str), items);
  if (isObj(node.SubLink) && isObj(node.SubLink.subselect) && isObj(node.SubLink.subselect.SelectStmt)) {
    const inner = selectLineage(node.SubLink.subselect.SelectStmt, ctes).flatMap((e) => e.sources);
    return [...inner, ...exprSources(node.SubLink.testexpr, items, ctes)];
  }
  return Object.values(node).flatMap((v) => exprSources(v, items, ctes));
}

function columnRef(fields: (string | undefined)[], items: Item[]): SourceColumn[] {
  const col = fields.at(-1);
  if (col === undefined) return [];
  if (fields.length === 1) {
    // `c` alone may be a whole-row reference to the relation aliased `c` (row_to_json(c)).
    const whole = items.find((i) => i.alias === col);
    const fromWhole = whole === undefined ? [] : wholeRow(whole);
    return [...fromWhole, ...items.flatMap((i) => column(i, col))];
  }
  const qual = fields[fields.length - 2];
  const matching = items.filter((i) => i.alias === qual);
  if (matching.length === 0) return [{ schema: fields.length > 2 ? fields[fields.length - 3] : undefined, table: qual ?? '?', column: col }];
  return matching.flatMap((i) => column(i, col));
}

function column(i: Item, col: string): SourceColumn[] {
  if (i.kind === 'table') return [{ schema: i.schema, table: i.table, column: col }];
  return i.columns.filter((c) => c.name === col || c.star === true).flatMap((c) => c.sources);
}

function wholeRow(i: Item): SourceColumn[] {
  return i.kind === 'table' ? [{ schema: i.schema, table: i.table, column: '*' }] : i.columns.flatMap((c) => c.sources);
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
