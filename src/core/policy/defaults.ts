import type { Rule } from './rules.ts';

/**
 * The shipped connection default, applied to each statement no rule covers:
 * reads, transaction control and session utilities pass; writes, DDL and
 * privilege changes need review; destructive and admin statements are
 * blocked; and what cannot be known (unknown) is treated as the riskiest.
 */
export function shippedDefaults(): Rule[] {
  return [
    {
      id: 'default:block-destructive',
      description: 'DROP, TRUNCATE and ALTER SYSTEM are blocked',
      match: { kinds: ['DropStmt', 'DropdbStmt', 'DropOwnedStmt', 'DropTableSpaceStmt', 'TruncateStmt', 'AlterSystemStmt'] },
      effect: 'block',
      message: 'destructive statements (DROP, TRUNCATE, ALTER SYSTEM) are blocked on this connection',
    },
    {
      id: 'default:block-copy-program',
      match: { dangerous: ['COPY PROGRAM', 'COPY server file'] },
      effect: 'block',
      message: 'COPY to or from a program or a server file is blocked',
    },
    { id: 'default:allow-read', match: { classes: ['read', 'transaction', 'utility'] }, effect: 'allow' },
    { id: 'default:review-write', match: { classes: ['write', 'ddl', 'dcl'] }, effect: 'review', approvers: [] },
    { id: 'default:block-admin', match: { classes: ['admin'] }, effect: 'block', message: 'administrative statements are blocked on this connection' },
    {
      id: 'default:block-unknown',
      match: { classes: ['unknown'] },
      effect: 'block',
      message: 'Warden cannot tell what this statement does (it does not parse, or runs code it cannot see), so it is blocked',
    },
  ];
}
