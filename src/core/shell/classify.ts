import type { Node, Pos } from 'mvdan-sh';
import { dangerOf, redirectDanger } from './danger.ts';
import { programClass } from './programs.ts';
import { riskier, type CommandClass, type CommandInfo } from './types.ts';
import { unwrap } from './wrappers.ts';
import { wordOf, type Word } from './words.ts';
import { syntax } from './syntax.ts';


/** `bash -c "bash -c '…'"` nesting deeper than this is judged unknown rather than followed. */
const maxDepth = 8;
/** Variables that change which program runs or what it loads. */
const hijacking = new Set(['PATH', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'BASH_ENV', 'ENV', 'IFS', 'PROMPT_COMMAND', 'SHELLOPTS', 'BASHOPTS', 'PS4']);
const writeOps = new Set(['>', '>>', '>|', '&>', '&>>', '<>']);

interface Ctx {
  via: readonly string[];
  sudo: boolean;
  depth: number;
}

const unknown = (ctx: Ctx, program: string, reason: string, error?: string): CommandInfo => ({
  program, args: [], class: 'unknown', sudo: ctx.sudo, via: ctx.via, dynamic: true, dangerous: [], reasons: [reason], ...(error === undefined ? {} : { error }),
});

/**
 * Every simple command a shell command line runs, found with a real shell
 * parser (mvdan/sh, bash dialect), through pipes, lists, subshells, `$(…)`,
 * backticks, functions, `bash -c`, `sudo`, `env`, `xargs` and `find -exec`.
 * Never throws and never returns an empty list: a line that does not parse,
 * is empty, or runs something only known at run time yields an `unknown`
 * entry (fail closed).
 */
export function classifyCommand(line: string): CommandInfo[] {
  const out: CommandInfo[] = [];
  classifyLine(line, { via: [], sudo: false, depth: 0 }, out);
  return out;
}

function classifyLine(line: string, ctx: Ctx, out: CommandInfo[]): void {
  if (ctx.depth > maxDepth) return void out.push(unknown(ctx, '', 'commands nested too deeply to follow'));
  const src = Buffer.from(line, 'utf8');
  let file: Node;
  try {
    file = syntax().NewParser().Parse(line, 'command');
  } catch (err) {
    // fail closed: a line Warden cannot parse is judged unknown (blocked by default).
    return void out.push(unknown(ctx, '', 'the command line does not parse', parseError(err)));
  }
  const calls: Word[][] = [];
  const before = out.length;
  syntax().Walk(file, (node) => {
    if (node === null) return true;
    switch (syntax().NodeType(node)) {
      case 'CallExpr':
        calls.push(((node['Args'] as Node[] | null) ?? []).map((w) => wordOf(src, w)));
        break;
      case 'Stmt':
        for (const r of (node['Redirs'] as Node[] | null) ?? []) redirect(src, r, ctx, out);
        break;
      case 'Assign': {
        const name = String((node['Name'] as Node | null)?.['Value'] ?? '');
        if (hijacking.has(name)) out.push(unknown(ctx, '', `setting ${name} changes what later commands run`));
        break;
      }
      case 'FuncDecl':
        // fail closed: a function defined on the line hides what its calls run (and `:(){ :|:& };:`).
        out.push(unknown(ctx, '', 'the line defines a shell function'));
        break;
    }
    return true;
  });
  for (const words of calls) fromWords(words, ctx, out, false);
  if (out.length === before) out.push(unknown(ctx, '', 'the command line runs no command Warden can see'));
}

function redirect(src: Buffer, r: Node, ctx: Ctx, out: CommandInfo[]): void {
  const word = r['Word'] as Node | null;
  if (!word) return;
  const op = src.subarray((r['OpPos'] as Pos).Offset(), word.Pos().Offset()).toString('utf8').trim();
  const target = wordOf(src, word);
  const fdDup = op === '>&' && target.value !== undefined && /^(\d+|-)$/.test(target.value);
  if (!writeOps.has(op) && !(op === '>&' && !fdDup)) return;
  if (target.value !== undefined && /^\/dev\/(null|stdout|stderr|tty|fd\/\d+)$/.test(target.value)) return;
  const dangerous = redirectDanger(target);
  out.push({
    program: '>', args: [target.value ?? target.raw], class: dangerous.length > 0 ? 'admin' : 'write', sudo: ctx.sudo, via: ctx.via,
    dynamic: target.value === undefined, dangerous, reasons: [`the output is redirected to ${target.raw}`],
  });
}

function fromWords(words: readonly Word[], ctx: Ctx, out: CommandInfo[], extraDynamic: boolean): void {
  const first = words[0];
  if (first === undefined) return;
  // fail closed: `$CMD args` or `$(…) args` runs a program Warden cannot name.
  if (first.value === undefined || first.value === '') return void out.push(unknown(ctx, '', `the program (${first.raw}) is only known at run time`));
  const program = first.value.slice(first.value.lastIndexOf('/') + 1);
  const args = words.slice(1);
  const judged = extraDynamic ? [...args, { value: undefined, raw: '<stdin>' }] : args;
  const { self, inners } = unwrap(program, judged);
  if (self) out.push(entry(program, judged, ctx));
  for (const inner of inners) {
    const next: Ctx = { via: [...ctx.via, inner.via], sudo: ctx.sudo || (inner.kind !== 'opaque' && inner.sudo), depth: ctx.depth };
    if (inner.kind === 'words') fromWords(inner.words, next, out, inner.extraDynamicArgs === true);
    else if (inner.kind === 'opaque') out.push(unknown(ctx, program, inner.reason));
    else if (inner.script.value === undefined) out.push(unknown(next, '', `${inner.via} runs a script only known at run time (${inner.script.raw})`));
    else classifyLine(inner.script.value, { ...next, depth: ctx.depth + 1 }, out);
  }
}

function entry(program: string, args: readonly Word[], ctx: Ctx): CommandInfo {
  const judged = programClass(program, args);
  const dangerous = dangerOf(program, args);
  let cls: CommandClass = judged.class;
  const reasons = [judged.reason];
  if (dangerous.length > 0) {
    cls = riskier(cls, 'admin');
    reasons.unshift(`destructive: ${dangerous.join(', ')}`);
  }
  if (ctx.sudo) {
    cls = riskier(cls, 'admin');
    reasons.unshift('runs with elevated privileges');
  }
  return { program, args: args.map((a) => a.value ?? a.raw), class: cls, sudo: ctx.sudo, via: ctx.via, dynamic: args.some((a) => a.value === undefined), dangerous, reasons };
}

function parseError(err: unknown): string {
  const e = err as { Error?: () => string; message?: string } | null;
  if (e && typeof e.Error === 'function') return e.Error();
  return e?.message ?? 'syntax error';
}
