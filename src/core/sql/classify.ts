import type { PgParser } from './parser.ts';
import { dangerousFunctions, dynamicSqlFunctions, inList, readOnlyFunctions, writingFunctions } from './functions.ts';
import { adminSettings, classOfKind, dmlKinds } from './kinds.ts';
import { riskiest } from './types.ts';
import type { StatementClass, StatementInfo } from './types.ts';
import { newFacts, qualifiedName, walk } from './walk.ts';
import type { Facts } from './walk.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Acc {
  classes: StatementClass[];
  reasons: string[];
  dangerous: Set<string>;
  preparedName?: string;
  executes?: string;
}

/**
 * Classifies every statement of `text` with the real PostgreSQL grammar
 * (uncached; `createPostgresClassifier` adds the cache and EXECUTE resolution).
 * fail closed: text that does not parse is one `unknown` statement.
 */
export function classifyPostgres(parser: PgParser, text: string): StatementInfo[] {
  let stmts: unknown[];
  try {
    stmts = parser.parse(text).stmts ?? [];
  } catch (err) {
    return [unparseable(err instanceof Error ? err.message : String(err))];
  }
  return stmts.map((raw) => classifyNode(isObj(raw) && isObj(raw.stmt) ? raw.stmt : {}));
}

export function unparseable(error: string): StatementInfo {
  return {
    class: 'unknown',
    kind: 'Unparseable',
    kinds: ['Unparseable'],
    tables: [],
    functions: [],
    dangerous: [],
    updateOrDeleteWithoutWhere: false,
    reasons: [`does not parse as PostgreSQL: ${error}`],
    error,
  };
}

/** Classifies one statement node (`{ SelectStmt: {...} }`). */
export function classifyNode(wrapped: Obj): StatementInfo {
  const kind = Object.keys(wrapped)[0] ?? 'Empty';
  const node = isObj(wrapped[kind]) ? (wrapped[kind] as Obj) : {};
  const facts = newFacts();
  walk(wrapped, facts, new Set());
  const acc: Acc = { classes: [classOfKind(kind)], reasons: [], dangerous: new Set() };
  refine(kind, node, facts, acc);
  const cls = riskiest(acc.classes);
  if (acc.reasons.length === 0) acc.reasons.push(`${kind} is ${cls}`);
  return {
    class: cls,
    kind,
    kinds: [...facts.kinds],
    tables: [...facts.tables.values()],
    functions: [...facts.functions],
    dangerous: [...acc.dangerous],
    updateOrDeleteWithoutWhere: facts.updateOrDeleteWithoutWhere,
    ...(acc.preparedName === undefined ? {} : { preparedName: acc.preparedName }),
    ...(acc.executes === undefined ? {} : { executes: acc.executes }),
    reasons: acc.reasons,
  };
}

function add(acc: Acc, cls: StatementClass, reason: string): void {
  acc.classes.push(cls);
  acc.reasons.push(reason);
}

function refine(kind: string, node: Obj, facts: Facts, acc: Acc): void {
  const base = classOfKind(kind);
  if (base === 'unknown') acc.reasons.push(unknownReason(kind, node));
  const nestedDml = [...facts.kinds].filter((k) => dmlKinds.has(k) && k !== kind);
  switch (kind) {
    case 'SelectStmt':
      if (isObj(node.intoClause)) add(acc, 'ddl', 'SELECT INTO creates a table');
      break;
    case 'ExplainStmt': {
      // EXPLAIN ANALYZE executes its statement; any ANALYZE option counts, whatever its value.
      const analyze = Array.isArray(node.options) && node.options.some((o) => isObj(o) && isObj(o.DefElem) && o.DefElem.defname === 'analyze');
      if (analyze && isObj(node.query)) {
        const inner = classifyNode(node.query);
        add(acc, inner.class, `EXPLAIN ANALYZE executes its statement: ${inner.reasons.join('; ')}`);
        for (const d of inner.dangerous) acc.dangerous.add(d);
      } else functionsRisk(facts, acc); // the planner may run functions while folding constants
      return;
    }
    case 'CopyStmt':
      if (node.is_program === true) {
        acc.dangerous.add('COPY PROGRAM');
        add(acc, 'admin', 'COPY … PROGRAM runs a shell command on the database server');
      } else if (typeof node.filename === 'string') {
        acc.dangerous.add('COPY server file');
        add(acc, 'admin', 'COPY with a file name reads or writes a file on the database server');
      } else if (node.is_from === true) add(acc, 'write', 'COPY FROM loads rows into a table');
      break;
    case 'PrepareStmt':
      acc.preparedName = String(node.name);
      if (isObj(node.query)) {
        const inner = classifyNode(node.query);
        add(acc, inner.class, `PREPARE ${String(node.name)}: ${inner.reasons.join('; ')}`);
        for (const d of inner.dangerous) acc.dangerous.add(d);
      }
      return;
    case 'VariableSetStmt':
      if (typeof node.name === 'string' && adminSettings.has(node.name)) add(acc, 'admin', `SET ${node.name} changes privileges or safety settings`);
      break;
    case 'CreateFunctionStmt': {
      const lang = languageOf(node);
      if (lang !== undefined && /u$|^c$|^internal$/.test(lang)) {
        acc.dangerous.add(`LANGUAGE ${lang}`);
        add(acc, 'admin', `language ${lang} is untrusted: its code runs with the server's rights`);
      }
      return;
    }
    case 'ExecuteStmt':
      acc.executes = String(node.name);
      break;
    case 'LoadStmt':
      acc.dangerous.add('LOAD');
      break;
    case 'CallStmt':
      facts.functions.add(qualifiedName(isObj(node.funccall) ? node.funccall.funcname : undefined));
      break;
  }
  if (nestedDml.length > 0 && base !== 'ddl' && base !== 'dcl') add(acc, 'write', `contains ${nestedDml.join(', ')} (e.g. a data-modifying CTE), which writes`);
  if (base === 'ddl' || base === 'dcl') dangerousOnly(facts, acc);
  else functionsRisk(facts, acc);
}

function unknownReason(kind: string, node: Obj): string {
  if (kind === 'DoStmt') return 'DO runs procedural code whose effect cannot be known';
  if (kind === 'CallStmt') return 'CALL runs a procedure whose effect cannot be known';
  if (kind === 'ExecuteStmt') return `EXECUTE ${String(node.name)} runs a prepared statement this query does not show`;
  return `${kind} is not a statement Warden knows how to classify`;
}

function languageOf(node: Obj): string | undefined {
  const opts = Array.isArray(node.options) ? node.options : [];
  for (const o of opts) {
    if (isObj(o) && isObj(o.DefElem) && o.DefElem.defname === 'language' && isObj(o.DefElem.arg) && isObj(o.DefElem.arg.String)) {
      return String(o.DefElem.arg.String.sval);
    }
  }
  return undefined;
}

function dangerousOnly(facts: Facts, acc: Acc): void {
  for (const fn of facts.functions) {
    if (inList(dangerousFunctions, fn) || inList(dangerousFunctions, fn.toLowerCase())) {
      acc.dangerous.add(fn);
      add(acc, 'admin', `calls ${fn}, a dangerous function`);
    }
  }
}

/** What calling `fn` can do, and why. */
export function functionRisk(fn: string): { cls: StatementClass; reason: string; dangerous: boolean } {
  const lower = fn.toLowerCase();
  if (inList(dynamicSqlFunctions, lower)) return { cls: 'unknown', reason: `calls ${fn}, which runs SQL given as text`, dangerous: true };
  if (inList(dangerousFunctions, lower)) return { cls: 'admin', reason: `calls ${fn}, a dangerous function`, dangerous: true };
  if (inList(writingFunctions, fn)) return { cls: 'write', reason: `calls ${fn}, which writes`, dangerous: false };
  if (readOnlyFunctions.has(fn)) return { cls: 'read', reason: '', dangerous: false };
  return { cls: 'unknown', reason: `calls ${fn}, a function whose effect cannot be known`, dangerous: false };
}

/** Raises the class by what the called functions and operators can do. */
function functionsRisk(facts: Facts, acc: Acc): void {
  for (const fn of facts.functions) {
    const r = functionRisk(fn);
    if (r.dangerous) acc.dangerous.add(fn);
    if (r.cls !== 'read') add(acc, r.cls, r.reason);
  }
  for (const op of facts.operators) add(acc, 'unknown', `uses operator ${op}, which may run a user function`);
}
