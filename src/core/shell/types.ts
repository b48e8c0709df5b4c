/** What a command can do; `unknown` (cannot be seen or parsed) is treated as the riskiest. */
export const commandClasses = ['read', 'write', 'network', 'admin', 'unknown'] as const;
export type CommandClass = (typeof commandClasses)[number];

/**
 * One simple command found in a command line, as policy sees it. Every
 * command of a pipeline, list, subshell, `$(…)`, backticks, `bash -c '…'`,
 * `sudo …`, `env … cmd`, `xargs cmd` or `find -exec cmd` is its own entry.
 */
export interface CommandInfo {
  /** Basename of the program run (`/bin/rm` → `rm`); `''` when it is computed at run time or the line does not parse. */
  readonly program: string;
  /** Arguments after quote removal; a word computed at run time (`$X`, `$(…)`) is kept as written. */
  readonly args: readonly string[];
  readonly class: CommandClass;
  /** Run through `sudo`/`doas`/`su -c`/`pkexec`. */
  readonly sudo: boolean;
  /** Programs this one was reached through, outermost first: `['sudo', 'bash -c']`. */
  readonly via: readonly string[];
  /** Some word (program or argument) is only known at run time. */
  readonly dynamic: boolean;
  /** Destructive operations found (`rm -rf /`, `mkfs`, `write to a device`…), matched by rule `dangerous:` globs. */
  readonly dangerous: readonly string[];
  /** Human-readable reasons for the class, for verdict explanations. */
  readonly reasons: readonly string[];
  /** Parse error, when the line does not parse. */
  readonly error?: string;
}

const rank: Record<CommandClass, number> = { read: 0, write: 1, network: 2, admin: 3, unknown: 4 };

/** The riskier of two classes. */
export const riskier = (a: CommandClass, b: CommandClass): CommandClass => (rank[b] > rank[a] ? b : a);
