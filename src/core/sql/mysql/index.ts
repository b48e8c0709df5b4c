/**
 * SQL classification for MySQL and MariaDB, mirroring `../classify.ts` for
 * PostgreSQL: the same `StatementInfo`, the same classes, and PostgreSQL's
 * node names where the meaning matches (`DropStmt`, `DeleteStmt`,
 * `GrantStmt`…), so one rule file governs both databases.
 * A real grammar (node-sql-parser, MySQL dialect) decides what a statement
 * is; a small scanner in front of it applies MySQL's lexer rules the
 * grammar gets wrong (executable comments run, `--` needs a space), and
 * anything it cannot see (PREPARE/EXECUTE, HANDLER, CALL, unparseable text)
 * is `unknown`, the riskiest class.
 *
 * Usage: `const c = createMysqlClassifier(); c.classify('DELETE FROM t')`.
 */
export { createMysqlClassifier, classifyUncached as classifyMysql } from './classifier.ts';
export type { MysqlClassifier, MysqlClassifierOptions } from './classifier.ts';
export { scanMysql } from './scan.ts';
export { createMysqlLineage, mysqlLineage, type MysqlLineage } from './lineage.ts';
export { inlineMysqlParameters, placeholderOffsets } from './placeholders.ts';
export type { Piece, ScanOptions, ScanResult } from './scan.ts';
export { mysqlDangerousFunctions, mysqlReadOnlyFunctions, mysqlWritingFunctions } from './functions.ts';
