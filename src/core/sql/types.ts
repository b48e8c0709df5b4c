/** What a statement can do, from least to most risky for ordering purposes (see `riskiest`). */
export const statementClasses = ['read', 'transaction', 'utility', 'write', 'ddl', 'dcl', 'admin', 'unknown'] as const;
export type StatementClass = (typeof statementClasses)[number];

/** A relation a statement touches; `schema` is undefined when the statement left it to search_path. */
export interface TableRef {
  readonly schema: string | undefined;
  readonly name: string;
}

/**
 * One statement of a (possibly multi-statement) query, as policy sees it.
 * Holds nothing literal-dependent (no text, no positions), so the classifier
 * may share one instance between statements that differ only in literals.
 */
export interface StatementInfo {
  readonly class: StatementClass;
  /** The top AST node name (`SelectStmt`, `DropStmt`…), or `Unparseable`. */
  readonly kind: string;
  /** Every statement node involved, top first: `['ExplainStmt', 'DeleteStmt']`, `['SelectStmt', 'DeleteStmt']` for a CTE write. */
  readonly kinds: readonly string[];
  readonly tables: readonly TableRef[];
  /** Functions called, as written (`pg_catalog.` stripped: it always means the builtin). */
  readonly functions: readonly string[];
  /** Dangerous functions and operations (`pg_read_file`, `COPY PROGRAM`, `LOAD`…). */
  readonly dangerous: readonly string[];
  readonly updateOrDeleteWithoutWhere: boolean;
  /** Name given by `PREPARE name AS …`, so a relay can remember it for a later `EXECUTE name`. */
  readonly preparedName?: string;
  /** Name of the prepared statement an `EXECUTE name` runs. */
  readonly executes?: string;
  /** Human-readable reasons for the class, for verdict explanations. */
  readonly reasons: readonly string[];
  /** Parse error, when kind is `Unparseable`. */
  readonly error?: string;
}

const rank: Record<StatementClass, number> = {
  read: 0,
  transaction: 1,
  utility: 2,
  write: 3,
  ddl: 4,
  dcl: 5,
  admin: 6,
  unknown: 7,
};

/** The riskiest of some classes; `unknown` is the riskiest, an empty list is `read`. */
export function riskiest(classes: Iterable<StatementClass>): StatementClass {
  let worst: StatementClass = 'read';
  for (const c of classes) if (rank[c] > rank[worst]) worst = c;
  return worst;
}
