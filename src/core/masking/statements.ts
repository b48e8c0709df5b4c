import type { PgParser } from '../sql/parser.ts';

/**
 * What masking needs to know about a statement besides its lineage: how a
 * `COPY … TO STDOUT` writes its lines (so they can be split into columns),
 * and which cursor a `DECLARE`/`FETCH`/`CLOSE` names (so the rows a FETCH
 * returns get the lineage of the query the cursor was declared for).
 */
export type CopyFormat =
  | { format: 'text'; delimiter: string; null: string }
  | { format: 'csv'; delimiter: string; quote: string; escape: string; null: string; header: boolean }
  | { format: 'binary' };

export type CursorOp =
  | { op: 'declare'; name: string; hold: boolean }
  | { op: 'fetch'; name: string }
  /** `name` undefined: `CLOSE ALL`. */
  | { op: 'close'; name: string | undefined };

export interface StatementFacts {
  copy?: CopyFormat;
  cursor?: CursorOp;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** DECLARE's CURSOR_OPT_HOLD (parsenodes.h): the cursor outlives its transaction. */
const CURSOR_OPT_HOLD = 0x20;

/**
 * Whether `statementFacts` has something to say about a statement whose top node is `kind`
 * (the classifier's `StatementInfo.kind`): the node kinds it reads below, and no other.
 */
export function mayHaveFacts(kind: string): boolean {
  return kind === 'CopyStmt' || kind === 'DeclareCursorStmt' || kind === 'FetchStmt' || kind === 'ClosePortalStmt';
}

/** Facts per statement of `sql`. Throws on invalid SQL (the caller decides what that means). */
export function statementFacts(parser: PgParser, sql: string): StatementFacts[] {
  return (parser.parse(sql).stmts ?? []).map((raw) => {
    const stmt = isObj(raw) && isObj(raw.stmt) ? raw.stmt : {};
    if (isObj(stmt.CopyStmt)) return stmt.CopyStmt.is_from === true ? {} : { copy: copyFormat(stmt.CopyStmt) };
    if (isObj(stmt.DeclareCursorStmt)) {
      const d = stmt.DeclareCursorStmt;
      return { cursor: { op: 'declare', name: String(d.portalname), hold: ((Number(d.options) || 0) & CURSOR_OPT_HOLD) !== 0 } };
    }
    if (isObj(stmt.FetchStmt)) return stmt.FetchStmt.ismove === true ? {} : { cursor: { op: 'fetch', name: String(stmt.FetchStmt.portalname) } };
    if (isObj(stmt.ClosePortalStmt)) {
      const name = stmt.ClosePortalStmt.portalname;
      return { cursor: { op: 'close', name: typeof name === 'string' ? name : undefined } };
    }
    return {};
  });
}

/** The COPY's options with PostgreSQL's defaults (see the COPY reference page). */
function copyFormat(c: Obj): CopyFormat {
  const opts = new Map<string, unknown>();
  for (const o of Array.isArray(c.options) ? c.options : []) if (isObj(o) && isObj(o.DefElem)) opts.set(String(o.DefElem.defname), o.DefElem.arg);
  const text = (name: string): string | undefined => {
    const a = opts.get(name);
    return isObj(a) && isObj(a.String) ? String(a.String.sval) : undefined;
  };
  const format = (text('format') ?? 'text').toLowerCase();
  if (format === 'binary') return { format: 'binary' };
  if (format !== 'csv') return { format: 'text', delimiter: text('delimiter') ?? '\t', null: text('null') ?? '\\N' };
  const quote = text('quote') ?? '"';
  return { format: 'csv', delimiter: text('delimiter') ?? ',', quote, escape: text('escape') ?? quote, null: text('null') ?? '', header: opts.has('header') && truthy(opts.get('header')) };
}

/** A boolean option as PostgreSQL reads it: no value, true/on/1, or `match` (COPY FROM only) mean true. */
function truthy(arg: unknown): boolean {
  if (arg === undefined) return true;
  if (!isObj(arg)) return false;
  if (isObj(arg.Boolean)) return arg.Boolean.boolval === true;
  if (isObj(arg.Integer)) return Number(arg.Integer.ival ?? 0) !== 0; // protobuf JSON leaves out a 0
  if (isObj(arg.String)) return ['true', 'on', '1', 'match', 'yes'].includes(String(arg.String.sval).toLowerCase());
  return false;
}
