import type { Rule } from './rules.ts';

/**
 * Shell commands (SSH exec and typed lines): reads pass, writes and network
 * tools need review, destructive and privileged commands are blocked, and
 * what Warden cannot see (unparseable, `$CMD`, `eval`, scripts) is blocked.
 * The engine puts them before the connection defaults for every command
 * request (their messages win), so a connection default can tighten command
 * policy but never loosen it: loosening takes an explicit rule.
 * `commands: ['*']` keeps them off SQL statements.
 */
export function shippedCommandDefaults(): Rule[] {
  return [
    {
      id: 'default:command-block-destructive',
      match: { commands: ['*'], dangerous: ['*'] },
      effect: 'block',
      message: 'destructive commands (rm -rf /, mkfs, writing to a device…) are blocked on this connection',
    },
    { id: 'default:command-allow-read', match: { commands: ['*'], classes: ['read'] }, effect: 'allow' },
    { id: 'default:command-review-write', match: { commands: ['*'], classes: ['write', 'network'] }, effect: 'review', approvers: [] },
    { id: 'default:command-block-privileged', match: { commands: ['*'], classes: ['admin'] }, effect: 'block', message: 'privileged commands (sudo, su, systemctl, kill…) are blocked on this connection' },
    {
      id: 'default:command-block-unknown',
      match: { commands: ['*'], classes: ['unknown'] },
      effect: 'block',
      message: 'Warden cannot tell what this command does (it does not parse, is not a known program, or runs code it cannot see), so it is blocked',
    },
    {
      id: 'default:command-block-uncertain',
      match: { uncertain: true },
      effect: 'block',
      message: 'Warden could not see the whole typed line (history recall, tab completion, a yank…), so it is blocked; type it out in full',
    },
  ];
}
