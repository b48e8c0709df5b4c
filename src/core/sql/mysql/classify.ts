import { riskiest } from '../types.ts';
import type { StatementClass, StatementInfo, TableRef } from '../types.ts';
import { recognise } from './fallback.ts';
import { mysqlFunctionRisk } from './functions.ts';
import { kindOfAst, mysqlDmlKinds } from './kinds.ts';
import type { MysqlParser } from './parser.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const nestedKinds: Record<string, string> = { select: 'SelectStmt', insert: 'InsertStmt', replace: 'InsertStmt', update: 'UpdateStmt', delete: 'DeleteStmt' };
/** Settings whose change moves privileges, hides writes from the binary log, or changes how text is lexed. */
const adminSettings = new Set(['sql_log_bin', 'pseudo_replica_mode', 'pseudo_slave_mode', 'gtid_next', 'sql_mode', 'debug', 'insert_id']);
const scopeNames = new Set(['global', 'persist', 'persist_only']);

interface Acc {
  classes: StatementClass[];
  reasons: string[];
  dangerous: Set<string>;
}

/**
 * Classifies one statement's code (comments already removed by `scan.ts`).
 * fail closed: code the grammar rejects and `fallback.ts` does not recognise is one `unknown` statement.
 */
export function classifyMysqlCode(parser: MysqlParser, code: string): StatementInfo[] {
  let parsed;
  try {
    parsed = parser.parse(code);
  } catch (err) {
    const known = recognise(code);
    if (known === undefined) return [unparseableMysql(err instanceof Error ? err.message : String(err))];
    return [info(known.kind, known.cls, { dangerous: known.dangerous === undefined ? [] : [known.dangerous], reasons: [known.reason] })];
  }
  const asts = (Array.isArray(parsed.ast) ? parsed.ast : [parsed.ast]).filter(isObj);
  // fail closed: text that yields no statement at all (the parser skipped it) is not trusted to be empty.
  if (asts.length === 0) return [unparseableMysql('the parser found no statement in non-empty text')];
  return asts.map((ast) => classifyAst(ast, asts.length === 1 ? parsed.tableList : []));
}

export function unparseableMysql(error: string): StatementInfo {
  return info('Unparseable', 'unknown', { reasons: [`does not parse as MySQL: ${error}`], error });
}

function info(kind: string, cls: StatementClass, extra: Partial<StatementInfo> = {}): StatementInfo {
  return { class: cls, kind, kinds: [kind], tables: [], functions: [], dangerous: [], updateOrDeleteWithoutWhere: false, reasons: [`${kind} is ${cls}`], ...extra };
}

function classifyAst(ast: Obj, tableList: readonly string[]): StatementInfo {
  const type = String(ast.type);
  const { kind, cls } = kindOfAst(type, typeof ast.keyword === 'string' ? ast.keyword : undefined);
  const kinds = new Set<string>([kind]);
  const functions = new Set<string>();
  const into: string[] = [];
  walk(ast, true, kinds, functions, into);
  const acc: Acc = { classes: [cls], reasons: [], dangerous: new Set() };
  if (cls === 'unknown') acc.reasons.push(type === 'call' ? 'CALL runs a procedure whose effect cannot be known' : `${type} is not a statement Warden knows how to classify`);
  refine(type, ast, acc);
  for (const target of into) {
    acc.dangerous.add(`INTO ${target}`);
    add(acc, 'admin', `SELECT … INTO ${target} writes a file on the database server`);
  }
  const nestedDml = [...kinds].filter((k) => mysqlDmlKinds.has(k) && k !== kind);
  if (nestedDml.length > 0 && cls !== 'ddl' && cls !== 'dcl') add(acc, 'write', `contains ${nestedDml.join(', ')}, which writes`);
  for (const fn of functions) {
    const r = mysqlFunctionRisk(fn);
    if (r.dangerous) acc.dangerous.add(fn);
    // DDL and DCL are reviewed already; only dangerous functions raise them further (as for PostgreSQL).
    if (r.cls !== 'read' && (r.dangerous || (cls !== 'ddl' && cls !== 'dcl'))) add(acc, r.cls, r.reason);
  }
  const finalCls = riskiest(acc.classes);
  if (acc.reasons.length === 0) acc.reasons.push(`${kind} is ${finalCls}`);
  const where = (type === 'update' || type === 'delete') && (ast.where === null || ast.where === undefined);
  return {
    class: finalCls,
    kind,
    kinds: [...kinds],
    tables: tablesOf(type, ast, tableList),
    functions: [...functions],
    dangerous: [...acc.dangerous],
    updateOrDeleteWithoutWhere: where,
    reasons: acc.reasons,
  };
}

function add(acc: Acc, cls: StatementClass, reason: string): void {
  acc.classes.push(cls);
  acc.reasons.push(reason);
}

function refine(type: string, ast: Obj, acc: Acc): void {
  if (type === 'load_data') {
    if (typeof ast.local === 'string') {
      acc.dangerous.add('LOAD DATA LOCAL INFILE');
      add(acc, 'write', 'LOAD DATA LOCAL INFILE loads rows from a file the client sends');
    } else {
      acc.dangerous.add('LOAD DATA INFILE');
      add(acc, 'admin', 'LOAD DATA INFILE reads a file on the database server');
    }
  } else if (type === 'set') {
    const scope = typeof ast.keyword === 'string' ? ast.keyword.toLowerCase() : '';
    if (scopeNames.has(scope)) {
      acc.dangerous.add('SET GLOBAL');
      add(acc, 'admin', `SET ${scope.toUpperCase()} changes the server for every session`);
    }
    for (const a of Array.isArray(ast.expr) ? ast.expr : []) setAssignment(a, acc);
  }
}

function setAssignment(a: unknown, acc: Acc): void {
  const left = isObj(a) && isObj(a.left) ? a.left : undefined;
  if (left === undefined || left.prefix === '@') return; // user variables are the session's own
  const members = Array.isArray(left.members) ? left.members.map(String) : [];
  const scope = members.length > 0 ? String(left.name).toLowerCase() : '';
  const name = (members.at(-1) ?? String(left.name)).toLowerCase();
  if (scopeNames.has(scope)) {
    acc.dangerous.add('SET GLOBAL');
    add(acc, 'admin', `SET @@${scope}.${name} changes the server for every session`);
  } else if (name === 'sql_mode' && isObj(a) && isObj(a.right) && /_string$/.test(String(a.right.type)) && !/ANSI|BACKSLASH/i.test(String(a.right.value))) {
    // a literal sql_mode that keeps quoting and escaping as they are is common client setup, not a risk
  } else if (adminSettings.has(name)) {
    add(acc, 'admin', `SET ${name} changes privileges, logging or how statements are read`);
  }
}

/** Collects nested statements, function names and `SELECT … INTO OUTFILE/DUMPFILE` targets. */
function walk(node: unknown, root: boolean, kinds: Set<string>, functions: Set<string>, into: string[]): void {
  if (Array.isArray(node)) {
    for (const v of node) walk(v, false, kinds, functions, into);
    return;
  }
  if (!isObj(node)) return;
  const type = typeof node.type === 'string' ? node.type : undefined;
  if (!root && type !== undefined && nestedKinds[type] !== undefined) kinds.add(nestedKinds[type]);
  if (type === 'function') functions.add(functionName(node.name));
  if (type === 'aggr_func' && typeof node.name === 'string') functions.add(node.name.toLowerCase());
  if (type === 'into' && typeof node.keyword === 'string' && /^(OUTFILE|DUMPFILE)$/i.test(node.keyword)) into.push(node.keyword.toUpperCase());
  for (const [key, v] of Object.entries(node)) if (key !== 'tableList' && key !== 'columnList') walk(v, false, kinds, functions, into);
}

function functionName(name: unknown): string {
  if (typeof name === 'string') return name.toLowerCase();
  if (!isObj(name)) return '?';
  const parts = Array.isArray(name.name) ? name.name.map((p) => (isObj(p) ? String(p.value) : String(p))) : [];
  const schema = isObj(name.schema) ? `${String(name.schema.value)}.` : '';
  return `${schema}${parts.join('.')}`.toLowerCase();
}

function tablesOf(type: string, ast: Obj, tableList: readonly string[]): TableRef[] {
  const out = new Map<string, TableRef>();
  const addTable = (db: string | undefined, table: string): void => {
    out.set(`${db ?? ''}.${table}`, { schema: db, name: table });
  };
  // An unqualified name a WITH clause defines is the CTE, not a table.
  const ctes = new Set((Array.isArray(ast.with) ? ast.with : []).map((w) => (isObj(w) && isObj(w.name) ? String(w.name.value) : '')));
  for (const entry of tableList) {
    const [, db, table] = entry.split('::');
    const schema = db === undefined || db === 'null' ? undefined : db;
    if (table !== undefined && table !== 'null' && !(schema === undefined && ctes.has(table))) addTable(schema, table);
  }
  if (type === 'desc' && typeof ast.table === 'string') addTable(undefined, ast.table);
  return [...out.values()];
}
