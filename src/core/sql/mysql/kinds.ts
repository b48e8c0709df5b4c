import type { StatementClass } from '../types.ts';

/**
 * node-sql-parser statement types mapped to the PostgreSQL node names that
 * mean the same thing, so one rule (`kinds: [DropStmt]`) governs both
 * databases. A type not listed is `unknown`: a statement Warden has not
 * classified is denied until someone does.
 */
export interface KindClass {
  readonly kind: string;
  readonly cls: StatementClass;
}

const k = (kind: string, cls: StatementClass): KindClass => ({ kind, cls });

const byType: Record<string, KindClass> = {
  select: k('SelectStmt', 'read'),
  insert: k('InsertStmt', 'write'),
  replace: k('InsertStmt', 'write'),
  update: k('UpdateStmt', 'write'),
  delete: k('DeleteStmt', 'write'),
  truncate: k('TruncateStmt', 'write'),
  lock: k('LockStmt', 'write'),
  unlock: k('UnlockStmt', 'utility'),
  transaction: k('TransactionStmt', 'transaction'),
  set: k('VariableSetStmt', 'utility'),
  show: k('ShowStmt', 'utility'),
  desc: k('DescribeStmt', 'utility'),
  use: k('UseStmt', 'utility'),
  explain: k('ExplainStmt', 'read'),
  alter: k('AlterTableStmt', 'ddl'),
  rename: k('RenameStmt', 'ddl'),
  grant: k('GrantStmt', 'dcl'),
  revoke: k('GrantStmt', 'dcl'),
  load_data: k('LoadDataStmt', 'write'),
  call: k('CallStmt', 'unknown'),
};

const createKinds: Record<string, KindClass> = {
  table: k('CreateStmt', 'ddl'),
  index: k('IndexStmt', 'ddl'),
  view: k('ViewStmt', 'ddl'),
  database: k('CreatedbStmt', 'ddl'),
  schema: k('CreatedbStmt', 'ddl'),
  trigger: k('CreateTrigStmt', 'ddl'),
  user: k('CreateRoleStmt', 'dcl'),
  role: k('CreateRoleStmt', 'dcl'),
};

const dropKinds: Record<string, KindClass> = {
  database: k('DropdbStmt', 'ddl'),
  schema: k('DropdbStmt', 'ddl'),
  user: k('DropRoleStmt', 'dcl'),
  role: k('DropRoleStmt', 'dcl'),
};

/** The kind and base class of a parsed statement (`type`, and `keyword` for CREATE/DROP). */
export function kindOfAst(type: string, keyword: string | undefined): KindClass {
  const kw = (keyword ?? '').toLowerCase();
  if (type === 'create') return createKinds[kw] ?? k('CreateStmt', 'ddl');
  if (type === 'drop') return dropKinds[kw] ?? k('DropStmt', 'ddl');
  return byType[type] ?? k(`${type}`, 'unknown');
}

/** Statement node names whose nested presence means the statement writes (e.g. INSERT … SELECT is fine, a nested DELETE is not). */
export const mysqlDmlKinds = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt']);
