import type { TableRef } from './types.ts';

/** What a walk over one statement's AST found, whatever the nesting. */
export interface Facts {
  tables: Map<string, TableRef>;
  functions: Set<string>;
  /** Statement node names met, in order, the top one included. */
  kinds: Set<string>;
  /** Builtin-looking operators we do not know: a user-defined operator runs a user function. */
  operators: Set<string>;
  updateOrDeleteWithoutWhere: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Relation kinds whose DROP names tables (DROP has name lists, not RangeVars). */
const dropTableTypes = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE', 'OBJECT_SEQUENCE', 'OBJECT_INDEX']);

const builtinOperators = new Set(
  '= <> != < > <= >= + - * / % ^ || ~ ~~ !~~ ~~* !~~* !~ ~* !~* @> <@ && -> ->> #> #>> ? ?| ?& @@ @? #- |/ ||/ @ & | # << >> <<= >>= -|- &< &> <-> <^ >^ ?- ?-| ?|| ~= @@@'.split(' '),
);

export function newFacts(): Facts {
  return { tables: new Map(), functions: new Set(), kinds: new Set(), operators: new Set(), updateOrDeleteWithoutWhere: false };
}

/** `['pg_catalog', 'lower']` → `lower`: pg_catalog always names the builtin, so rules need not spell it. */
export function qualifiedName(list: unknown): string {
  const parts = Array.isArray(list) ? list.map((n) => (isObj(n) && isObj(n.String) ? String(n.String.sval) : '?')) : [];
  if (parts.length > 1 && parts[0] === 'pg_catalog') parts.shift();
  return parts.join('.');
}

/** A WHERE with no column reference (`WHERE true`, `WHERE 1=1`) filters nothing: it counts as no WHERE. */
function filtersNothing(where: unknown): boolean {
  if (where === undefined) return true;
  let sawColumn = false;
  const visit = (v: unknown): void => {
    if (sawColumn) return;
    if (Array.isArray(v)) v.forEach(visit);
    else if (isObj(v)) {
      if ('ColumnRef' in v || 'SubLink' in v || 'FuncCall' in v) sawColumn = true;
      else Object.values(v).forEach(visit);
    }
  };
  visit(where);
  return !sawColumn;
}

function addTable(f: Facts, schema: string | undefined, name: string): void {
  f.tables.set(`${schema ?? ''}.${name}`, { schema, name });
}

/**
 * Walks any AST value, collecting facts. `ctes` are the CTE names visible at
 * this point: a relation named like one of them is the CTE, not a table.
 * Scoping follows PostgreSQL: a non-recursive CTE sees only the CTEs before it.
 */
export function walk(value: unknown, f: Facts, ctes: ReadonlySet<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, f, ctes);
    return;
  }
  if (!isObj(value)) return;
  if (typeof value.relname === 'string') {
    const schema = typeof value.schemaname === 'string' ? value.schemaname : undefined;
    if (schema !== undefined || !ctes.has(value.relname)) addTable(f, schema, value.relname);
  }
  for (const key in value) {
    const child = value[key];
    if (!isObj(child)) {
      if (Array.isArray(child)) walk(child, f, ctes);
      continue;
    }
    if (key === 'FuncCall') f.functions.add(qualifiedName(child.funcname));
    if (key === 'A_Expr' && Array.isArray(child.name)) {
      const op = qualifiedName(child.name);
      if (!builtinOperators.has(op)) f.operators.add(op);
    }
    // Node types are capitalised (`SelectStmt`); field names that end the same way (`selectStmt`) are not kinds.
    if (key.endsWith('Stmt') && key[0] !== key[0]!.toLowerCase()) {
      f.kinds.add(key);
      if ((key === 'UpdateStmt' || key === 'DeleteStmt') && filtersNothing(child.whereClause)) f.updateOrDeleteWithoutWhere = true;
      if (key === 'DropStmt' && dropTableTypes.has(String(child.removeType))) dropTargets(child.objects, f);
      if (isObj(child.withClause)) {
        walkWith(child, f, ctes);
        continue;
      }
    }
    walk(child, f, ctes);
  }
}

function walkWith(stmt: Obj, f: Facts, outer: ReadonlySet<string>): void {
  const w = stmt.withClause as Obj;
  const list = Array.isArray(w.ctes) ? w.ctes : [];
  const names = list.map((c) => (isObj(c) && isObj(c.CommonTableExpr) ? String(c.CommonTableExpr.ctename) : ''));
  const all = new Set([...outer, ...names]);
  list.forEach((cte, i) => walk(cte, f, w.recursive === true ? all : new Set([...outer, ...names.slice(0, i)])));
  const { withClause: _skip, ...rest } = stmt;
  walk(rest, f, all);
}

function dropTargets(objects: unknown, f: Facts): void {
  if (!Array.isArray(objects)) return;
  for (const o of objects) {
    const items = isObj(o) && isObj(o.List) && Array.isArray(o.List.items) ? o.List.items : [];
    const parts = items.map((n) => (isObj(n) && isObj(n.String) ? String(n.String.sval) : '?'));
    const name = parts.pop();
    if (name !== undefined) addTable(f, parts.pop(), name);
  }
}
