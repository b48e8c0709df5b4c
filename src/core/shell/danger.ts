import type { Word } from './words.ts';

/**
 * Paths whose recursive removal or rewrite wrecks a machine: `/`, a top-level
 * directory (`/etc`, `/usr/*`), home (`~`), the whole working directory
 * (`*`, `.`), or a path only known at run time (fail closed).
 */
export function rootish(w: Word): boolean {
  if (w.value === undefined) return true;
  const p = w.value.replace(/\/+/g, '/');
  if (['~', '~/', '~/*', '*', '.', './', './*', '..', '../', '.*'].includes(p)) return true;
  return /^\/(\.{0,2}|\*|[^/]*)\/?\*?$/.test(p);
}

const options = (args: readonly Word[]) => args.filter((a) => a.value !== undefined && a.value.startsWith('-') && a.value !== '-' && a.value !== '--');
const operands = (args: readonly Word[]) => args.filter((a) => a.value === undefined || !a.value.startsWith('-'));
const hasShort = (args: readonly Word[], letters: RegExp) => options(args).some((o) => !o.value!.startsWith('--') && letters.test(o.value!.slice(1)));
const hasLong = (args: readonly Word[], name: string) => options(args).some((o) => o.value === `--${name}`);
const deviceTarget = (v: string) => /^\/dev\//.test(v) && !/^\/dev\/(null|zero|stdout|stderr|stdin|tty|fd\/\d+)$/.test(v);

/** Destructive operations of one command, named for rule `dangerous:` globs (empty when none). */
export function dangerOf(program: string, args: readonly Word[]): string[] {
  const found: string[] = [];
  const recursive = hasShort(args, /[rR]/) || hasLong(args, 'recursive');
  if (program === 'rm') {
    if (hasLong(args, 'no-preserve-root')) found.push('rm --no-preserve-root');
    if (recursive && operands(args).some(rootish)) found.push('rm -rf /');
  }
  if ((program === 'chmod' || program === 'chown' || program === 'chgrp') && recursive && operands(args).slice(1).some(rootish)) found.push(`${program} -R /`);
  if (program === 'find' && operands(args).some(rootish) && args.some((a) => a.value === '-delete')) found.push('find / -delete');
  if (program.startsWith('mkfs') || program === 'wipefs') found.push('format a filesystem');
  if (program === 'shred' || (program === 'dd' && args.some((a) => a.value === undefined || (a.value.startsWith('of=') && deviceTarget(a.value.slice(3)))))) found.push('write to a device');
  return found;
}

/** A redirection target that overwrites a device (`> /dev/sda`). */
export const redirectDanger = (target: Word): string[] => (target.value !== undefined && deviceTarget(target.value) ? ['write to a device'] : []);
