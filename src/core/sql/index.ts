/**
 * SQL classification with the real PostgreSQL grammar (libpg-query, WASM).
 * Policy and audit need to know what a statement *can do* (read, write, DDL,
 * privileges, admin…), which tables it touches and which functions it calls,
 * whatever its comments, case, quoting or nesting. Regexes cannot know that;
 * the server's own parser can. Anything that does not parse, or whose effect
 * cannot be seen (DO, CALL, dynamic SQL, user functions), is `unknown`.
 *
 * Usage: `const pg = await initSql(); const c = createPostgresClassifier(pg);
 * c.classify('DELETE FROM t')` — the parser cannot be used before it loads.
 */
export { initSql } from './parser.ts';
export type { PgParser } from './parser.ts';
export { classifyPostgres, classifyNode } from './classify.ts';
export { createPostgresClassifier } from './classifier.ts';
export type { ClassifierOptions, ClassifyOptions, PostgresClassifier } from './classifier.ts';
export { riskiest, statementClasses } from './types.ts';
export type { StatementClass, StatementInfo, TableRef } from './types.ts';
export { dangerousFunctions, dynamicSqlFunctions, readOnlyFunctions, writingFunctions } from './functions.ts';
