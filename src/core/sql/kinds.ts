import type { StatementClass } from './types.ts';

/**
 * The class of a statement node by its name alone. `classify.ts` refines the
 * ones whose class depends on their contents (SELECT INTO, COPY, EXPLAIN,
 * SET, PREPARE…). A node name not listed and not matching a DDL prefix is
 * `unknown`: a new PostgreSQL statement is denied until someone classifies it.
 */
const byKind: Record<string, StatementClass> = {
  SelectStmt: 'read',
  FetchStmt: 'read',
  DeclareCursorStmt: 'read',
  ExplainStmt: 'read',
  CopyStmt: 'read',
  InsertStmt: 'write',
  UpdateStmt: 'write',
  DeleteStmt: 'write',
  MergeStmt: 'write',
  TruncateStmt: 'write',
  LockStmt: 'write',
  RefreshMatViewStmt: 'write',
  TransactionStmt: 'transaction',
  VariableSetStmt: 'utility',
  VariableShowStmt: 'utility',
  ListenStmt: 'utility',
  UnlistenStmt: 'utility',
  NotifyStmt: 'utility',
  DiscardStmt: 'utility',
  DeallocateStmt: 'utility',
  ClosePortalStmt: 'utility',
  ConstraintsSetStmt: 'utility',
  PrepareStmt: 'read', // takes the class of the statement it prepares
  GrantStmt: 'dcl',
  GrantRoleStmt: 'dcl',
  CreateRoleStmt: 'dcl',
  AlterRoleStmt: 'dcl',
  AlterRoleSetStmt: 'dcl',
  DropRoleStmt: 'dcl',
  AlterDefaultPrivilegesStmt: 'dcl',
  ReassignOwnedStmt: 'dcl',
  CreatePolicyStmt: 'dcl',
  AlterPolicyStmt: 'dcl',
  AlterOwnerStmt: 'dcl',
  AlterSystemStmt: 'admin',
  VacuumStmt: 'admin',
  ClusterStmt: 'admin',
  ReindexStmt: 'admin',
  CheckPointStmt: 'admin',
  LoadStmt: 'admin',
  CreateTableSpaceStmt: 'admin',
  DropTableSpaceStmt: 'admin',
  AlterTableSpaceOptionsStmt: 'admin',
  AlterDatabaseSetStmt: 'admin',
  AlterDatabaseStmt: 'admin',
  DoStmt: 'unknown',
  CallStmt: 'unknown',
  ExecuteStmt: 'unknown',
};

const ddlPrefix = /^(Create|Alter|Drop|Define|Rename|Comment|Index|View|Rule|Composite|SecLabel|ImportForeignSchema)/;

export function classOfKind(kind: string): StatementClass {
  return byKind[kind] ?? (ddlPrefix.test(kind) ? 'ddl' : 'unknown');
}

/** Settings whose change moves privileges or disables safety nets. */
export const adminSettings = new Set([
  'role',
  'session_authorization',
  'session_replication_role',
  'default_transaction_read_only',
  'transaction_read_only',
  'allow_system_table_mods',
  'ignore_system_indexes',
  'zero_damaged_pages',
]);

/** Statements whose nested SELECT/DML runs now (a CTE write, COPY (query), EXPLAIN ANALYZE, CREATE TABLE AS). */
export const dmlKinds = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
