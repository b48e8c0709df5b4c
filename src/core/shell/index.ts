/**
 * Shell command classification: what an SSH exec line (or a line typed in a
 * shell) runs, found with a real shell parser so policy judges every command
 * of `a | b; $(c)`, `sudo d`, `bash -c 'e'` — not just the first word.
 * Anything it cannot see is `unknown`, which policy blocks by default.
 */
export { classifyCommand } from './classify.ts';
export { commandClasses, riskier } from './types.ts';
export type { CommandClass, CommandInfo } from './types.ts';
