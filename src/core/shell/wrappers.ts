import type { Word } from './words.ts';

/**
 * Programs that run another command: `sudo rm`, `env X=1 rm`, `xargs rm`,
 * `find -exec rm`, `bash -c 'rm'`. Policy judges the command they run, so
 * each is unwrapped into what it runs (words, or a script to parse again).
 */
export type Inner =
  | { kind: 'words'; via: string; sudo: boolean; words: readonly Word[]; extraDynamicArgs?: boolean }
  | { kind: 'script'; via: string; sudo: boolean; script: Word }
  | { kind: 'opaque'; via: string; reason: string };

export interface Unwrapped {
  /** Whether the wrapper itself is judged as a command too (`find`, a root shell from `sudo -i`). */
  self: boolean;
  inners: Inner[];
}

const plain: Unwrapped = { self: true, inners: [] };

/** Index of the first operand after options; options in `valued` take the next word (or `=value`). */
function skipOptions(args: readonly Word[], valued: readonly string[], from = 0, assignments = false): number {
  let i = from;
  while (i < args.length) {
    const v = args[i]!.value;
    if (v === undefined) return i;
    if (v === '--') return i + 1;
    if (assignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(v)) {
      i++;
      continue;
    }
    if (!v.startsWith('-') || v === '-') return i;
    const takesNext = v.startsWith('--') ? valued.includes(v) : v.length === 2 && valued.includes(v);
    i += takesNext ? 2 : 1;
  }
  return i;
}

const rest = (args: readonly Word[], i: number) => args.slice(i);
const shells = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'mksh', 'busybox-sh', 'rbash']);

export function unwrap(program: string, args: readonly Word[]): Unwrapped {
  const words = (via: string, from: number, sudo = false, extraDynamicArgs = false): Unwrapped =>
    from >= args.length ? plain : { self: false, inners: [{ kind: 'words', via, sudo, words: rest(args, from), extraDynamicArgs }] };
  switch (program) {
    case 'sudo':
    case 'doas':
    case 'pkexec': {
      const i = skipOptions(args, ['-u', '-g', '-h', '-p', '-r', '-t', '-U', '-C', '-D', '-T', '--user', '--group'], 0, true);
      // `sudo -i` / `sudo -s` with no command opens a root shell: judged as sudo itself (admin).
      return i >= args.length ? plain : { self: false, inners: [{ kind: 'words', via: program, sudo: true, words: rest(args, i) }] };
    }
    case 'su': {
      const c = args.findIndex((a) => a.value === '-c' || a.value === '--command' || a.value?.startsWith('--command=') === true);
      if (c === -1) return plain;
      const v = args[c]!.value!;
      const script = v.startsWith('--command=') ? { value: v.slice('--command='.length), raw: args[c]!.raw } : args[c + 1];
      return script === undefined ? plain : { self: false, inners: [{ kind: 'script', via: 'su -c', sudo: true, script }] };
    }
    case 'env': {
      const split = args.findIndex((a) => a.value === '-S' || a.value === '--split-string' || a.value?.startsWith('-S') === true);
      if (split !== -1) return { self: false, inners: [{ kind: 'opaque', via: 'env -S', reason: 'env -S splits a string into a command at run time' }] };
      return words('env', skipOptions(args, ['-u', '--unset', '-C', '--chdir'], 0, true));
    }
    case 'nohup':
    case 'builtin':
      return words(program, 0);
    case 'exec':
      return words('exec', skipOptions(args, ['-a']));
    case 'command':
      return args.some((a) => a.value === '-v' || a.value === '-V') ? plain : words('command', skipOptions(args, []));
    case 'time':
    case 'setsid':
      return words(program, skipOptions(args, []));
    case 'nice':
      return words('nice', skipOptions(args, ['-n', '--adjustment']));
    case 'ionice':
      return words('ionice', skipOptions(args, ['-c', '-n', '-p', '-P', '-u', '--class', '--classdata']));
    case 'stdbuf':
      return words('stdbuf', skipOptions(args, ['-i', '-o', '-e']));
    case 'timeout':
      return words('timeout', skipOptions(args, ['-s', '-k', '--signal', '--kill-after']) + 1);
    case 'chroot': {
      const i = skipOptions(args, ['--userspec', '--groups']) + 1;
      return i >= args.length ? plain : { self: true, inners: [{ kind: 'words', via: 'chroot', sudo: false, words: rest(args, i) }] };
    }
    case 'xargs': {
      const i = skipOptions(args, ['-I', '-n', '-L', '-P', '-d', '-E', '-s', '-a', '--arg-file', '--delimiter', '--max-args', '--max-procs']);
      // xargs alone runs echo; otherwise the command gets arguments read from stdin.
      return i >= args.length ? plain : { self: false, inners: [{ kind: 'words', via: 'xargs', sudo: false, words: rest(args, i), extraDynamicArgs: true }] };
    }
    case 'watch': {
      const i = skipOptions(args, ['-n', '--interval', '-d', '--differences', '-q']);
      if (i >= args.length) return plain;
      const script = rest(args, i);
      const joined = script.some((w) => w.value === undefined) ? undefined : script.map((w) => w.value).join(' ');
      return { self: false, inners: [{ kind: 'script', via: 'watch', sudo: false, script: { value: joined, raw: script.map((w) => w.raw).join(' ') } }] };
    }
    case 'busybox':
      return words('busybox', 0);
    case 'find':
      return { self: true, inners: findExecs(args) };
    default:
      return shells.has(program) ? shell(program, args) : plain;
  }
}

/** `bash -c 'script'` parses the script; `bash file`, `bash -s` and bare `bash` run code Warden cannot see. */
function shell(program: string, args: readonly Word[]): Unwrapped {
  for (let i = 0; i < args.length; i++) {
    const v = args[i]!.value;
    if (v === undefined) break;
    if (v === '-o' || v === '+o' || v === '-O' || v === '+O' || v === '--rcfile' || v === '--init-file') {
      i++;
      continue;
    }
    if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(v)) {
      const script = args[i + 1];
      if (script === undefined) break;
      return { self: false, inners: [{ kind: 'script', via: `${program} -c`, sudo: false, script }] };
    }
    if (!v.startsWith('-') && !v.startsWith('+')) break;
  }
  return { self: false, inners: [{ kind: 'opaque', via: program, reason: `${program} runs a script or its input, which Warden cannot inspect` }] };
}

function findExecs(args: readonly Word[]): Inner[] {
  const out: Inner[] = [];
  for (let i = 0; i < args.length; i++) {
    const v = args[i]!.value;
    if (v !== '-exec' && v !== '-execdir' && v !== '-ok' && v !== '-okdir') continue;
    const start = i + 1;
    let end = start;
    while (end < args.length && args[end]!.value !== ';' && args[end]!.value !== '+') end++;
    if (end > start) out.push({ kind: 'words', via: `find ${v}`, sudo: false, words: args.slice(start, end) });
    i = end;
  }
  return out;
}
