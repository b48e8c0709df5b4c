import type { StatementClass } from '../types.ts';

/**
 * Statements node-sql-parser does not parse (REVOKE, SAVEPOINT, KILL,
 * SHUTDOWN, PREPARE…), recognised from their leading keywords. This is sound
 * only because the text is one statement with every comment already removed
 * (`scan.ts`), and MySQL chooses a statement's type from its leading
 * keywords. Where details matter (what a SET assigns, what a statement
 * reads), the pattern must match the *whole* statement, so nothing can ride
 * along; otherwise the class is already restrictive (dcl, admin, unknown).
 * Anything not recognised stays `Unparseable` → unknown.
 */
export interface Recognised {
  readonly kind: string;
  readonly cls: StatementClass;
  readonly reason: string;
  readonly dangerous?: string;
}

const id = String.raw`(?:\w+|\x60(?:[^\x60]|\x60\x60)+\x60)`;
const name = String.raw`(?:\w+|'[^'\\]*'|"[^"\\]*"|\x60(?:[^\x60]|\x60\x60)+\x60)`;

interface Pattern {
  readonly re: RegExp;
  readonly out: Recognised;
}
const p = (re: string, kind: string, cls: StatementClass, reason: string, dangerous?: string): Pattern => ({
  re: new RegExp(`^${re}`, 'i'),
  out: dangerous === undefined ? { kind, cls, reason } : { kind, cls, reason, dangerous },
});

const patterns: readonly Pattern[] = [
  // whole-statement matches (harmless classes)
  p(String.raw`SET\s+(?:NAMES|CHARACTER\s+SET|CHARSET)\s+${name}(?:\s+COLLATE\s+${name})?\s*$`, 'VariableSetStmt', 'utility', 'SET NAMES only changes the connection character set'),
  p(String.raw`(?:SAVEPOINT|RELEASE\s+SAVEPOINT)\s+${id}\s*$`, 'TransactionStmt', 'transaction', 'savepoints are transaction control'),
  p(String.raw`ROLLBACK(?:\s+WORK)?\s+TO(?:\s+SAVEPOINT)?\s+${id}\s*$`, 'TransactionStmt', 'transaction', 'ROLLBACK TO SAVEPOINT is transaction control'),
  p(String.raw`(?:COMMIT|ROLLBACK)(?:\s+WORK)?(?:\s+AND\s+(?:NO\s+)?CHAIN)?(?:\s+(?:NO\s+)?RELEASE)?\s*$`, 'TransactionStmt', 'transaction', 'ends a transaction'),
  p(String.raw`START\s+TRANSACTION(?:\s+(?:READ\s+ONLY|READ\s+WRITE|WITH\s+CONSISTENT\s+SNAPSHOT)\s*,?)*\s*$`, 'TransactionStmt', 'transaction', 'starts a transaction'),
  p(String.raw`(?:DEALLOCATE|DROP)\s+PREPARE\s+${id}\s*$`, 'DeallocateStmt', 'utility', 'forgets a prepared statement'),
  // prefix matches: the statement type alone decides a restrictive class
  p(String.raw`(?:PREPARE)\b`, 'PrepareStmt', 'unknown', 'PREPARE takes SQL as text (often from a variable) that this statement does not show'),
  p(String.raw`EXECUTE\b`, 'ExecuteStmt', 'unknown', 'EXECUTE runs a prepared statement this query does not show'),
  p(String.raw`HANDLER\b`, 'HandlerStmt', 'unknown', 'HANDLER reads or changes rows below the SQL layer'),
  p(String.raw`CALL\b`, 'CallStmt', 'unknown', 'CALL runs a procedure whose effect cannot be known'),
  p(String.raw`DO\b`, 'DoStmt', 'unknown', 'DO evaluates expressions whose effect cannot be known'),
  p(String.raw`REVOKE\b`, 'GrantStmt', 'dcl', 'REVOKE changes privileges'),
  p(String.raw`(?:DROP)\s+(?:USER|ROLE)\b`, 'DropRoleStmt', 'dcl', 'drops accounts'),
  p(String.raw`(?:CREATE)\s+(?:USER|ROLE)\b`, 'CreateRoleStmt', 'dcl', 'creates accounts'),
  p(String.raw`(?:ALTER|RENAME)\s+USER\b`, 'AlterRoleStmt', 'dcl', 'changes accounts'),
  p(String.raw`SET\s+PASSWORD\b`, 'AlterRoleStmt', 'dcl', 'SET PASSWORD changes an account'),
  p(String.raw`SET\s+DEFAULT\s+ROLE\b`, 'GrantRoleStmt', 'dcl', 'SET DEFAULT ROLE changes an account'),
  p(String.raw`SET\s+ROLE\b`, 'VariableSetStmt', 'admin', 'SET ROLE changes the privileges of the session'),
  p(String.raw`SHUTDOWN\b`, 'ShutdownStmt', 'admin', 'SHUTDOWN stops the database server', 'SHUTDOWN'),
  p(String.raw`KILL\b`, 'KillStmt', 'admin', 'KILL ends a connection or query', 'KILL'),
  p(String.raw`(?:INSTALL)\s+(?:PLUGIN|SONAME)\b`, 'InstallPluginStmt', 'admin', 'INSTALL PLUGIN loads native code into the server', 'INSTALL PLUGIN'),
  p(String.raw`(?:UNINSTALL)\s+(?:PLUGIN|SONAME)\b`, 'UninstallPluginStmt', 'admin', 'UNINSTALL PLUGIN changes the server', 'UNINSTALL PLUGIN'),
  p(String.raw`(?:CHANGE\s+(?:MASTER|REPLICATION)|(?:START|STOP|RESET)\s+(?:SLAVE|REPLICA)|RESET\s+MASTER|PURGE\s+(?:BINARY|MASTER)\s+LOGS)\b`, 'ReplicationStmt', 'admin', 'changes replication or the binary log', 'REPLICATION'),
  p(String.raw`(?:FLUSH|RESET)\b`, 'FlushStmt', 'admin', 'FLUSH/RESET changes server state'),
  p(String.raw`(?:OPTIMIZE|ANALYZE|REPAIR|CHECK|CHECKSUM)\s+(?:NO_WRITE_TO_BINLOG\s+|LOCAL\s+)?TABLES?\b`, 'VacuumStmt', 'admin', 'table maintenance'),
  p(String.raw`(?:CREATE|ALTER|DROP)\s+(?:SERVER|TABLESPACE|LOGFILE)\b`, 'AlterSystemStmt', 'admin', 'changes server-level objects'),
  p(String.raw`(?:CREATE|ALTER)\s+(?:DEFINER\s*=\s*\S+\s+)?(?:PROCEDURE|FUNCTION|EVENT|AGGREGATE\s+FUNCTION)\b`, 'CreateFunctionStmt', 'ddl', 'creates or changes stored code'),
  p(String.raw`DROP\s+(?:PROCEDURE|FUNCTION|EVENT|TRIGGER|SEQUENCE)\b`, 'DropStmt', 'ddl', 'drops stored objects'),
];

/** The statement `code` (comments removed) names, when the parser could not parse it. */
export function recognise(code: string): Recognised | undefined {
  const text = code.trim();
  for (const { re, out } of patterns) if (re.test(text)) return out;
  return undefined;
}
