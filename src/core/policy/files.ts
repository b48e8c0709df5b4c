import { globMatch } from './glob.ts';
import type { Rule } from './rules.ts';

/**
 * File operations (SFTP, scp) as policy sees them, protocol-neutral. Each
 * operation has a direction: `download` when data or names flow from the
 * target to the user (reading a file, listing a directory), `upload` when it
 * changes the target (writing, removing, renaming, creating directories,
 * changing attributes, making links: `symlink`, `hardlink`).
 */
export const fileOps = ['download', 'list', 'upload', 'remove', 'rename', 'mkdir', 'rmdir', 'setstat', 'symlink', 'hardlink'] as const;
export type FileOp = (typeof fileOps)[number];
export type FileDirection = 'upload' | 'download';

export const directionOf = (op: FileOp): FileDirection => (op === 'download' || op === 'list' ? 'download' : 'upload');

/** One file operation: absolute, normalised paths (two for rename, symlink and hardlink: the new name first for links). */
export interface FileInfo {
  op: FileOp;
  paths: readonly string[];
}

/**
 * Path globs: `*` any run of characters including `/`, `?` one character,
 * case-SENSITIVE (unlike other names: on the targets' file systems `/TMP` is
 * not `/tmp`, and a negated allow-list must not be dodged by case). A pattern
 * starting with `!` matches the paths the rest does not match.
 */
export function pathGlob(pattern: string, path: string): boolean {
  if (pattern.startsWith('!')) return !globMatch(pattern.slice(1), path, { caseSensitive: true });
  return globMatch(pattern, path, { caseSensitive: true });
}

/**
 * Whether a rule's criteria cover one file operation. SQL and command
 * criteria (and forward, shell and typed-line rules) never match a file operation. `files` uses the any/all split of
 * tables: a block/review rule matches when ANY path of the operation matches
 * (a rename out of `/etc` or into it), an allow rule only when ALL do.
 */
export function fileMatches(rule: Rule, f: FileInfo): boolean {
  const m = rule.match;
  if (m.classes !== undefined || m.kinds !== undefined || m.tables !== undefined || m.functions !== undefined || m.withoutWhere !== undefined || m.dangerous !== undefined || m.commands !== undefined) return false;
  // Rules about forwards, shells and unseen typed lines judge those alone.
  if (m.forwards !== undefined || m.shell !== undefined || m.uncertain !== undefined) return false;
  // A port-forward rule (core/policy/forwards.ts) never judges files.
  if (m.forwards !== undefined) return false;
  // Shell-open and uncertain-line rules judge items of their own, never a file operation.
  if (m.shell !== undefined || m.uncertain !== undefined) return false;
  if (m.direction !== undefined && m.direction !== 'any' && m.direction !== directionOf(f.op)) return false;
  if (m.files === undefined) return true;
  const hit = (p: string) => m.files!.some((g) => pathGlob(g, p));
  return rule.effect === 'allow' ? f.paths.length > 0 && f.paths.every(hit) : f.paths.some(hit);
}

/**
 * What applies to a file operation no rule covers: it is allowed, and
 * recorded like every file operation. People who reach a server over SSH
 * expect to copy files to and from it; restrict with rules (see docs/policy.md).
 */
export function shippedFileDefaults(): Rule[] {
  return [{ id: 'default:file-allow', match: { files: ['*'] }, effect: 'allow' }];
}
