import type { CommandInfo } from '../shell/types.ts';
import type { StatementInfo } from '../sql/types.ts';
import { hasForwardCriteria } from './forwards.ts';
import { anyGlob } from './glob.ts';
import type { Rule, RuleMatch } from './rules.ts';
import { inWindow } from './time.ts';
import type { PolicySubject } from './types.ts';

/** Who/where/when: users, groups, connections, tags and time window all hold (absent = any). */
export function subjectMatches(m: RuleMatch, s: PolicySubject): boolean {
  if (m.users !== undefined && !anyGlob(m.users, s.user)) return false;
  if (m.groups !== undefined && !s.groups.some((g) => anyGlob(m.groups!, g))) return false;
  if (m.connections !== undefined && !anyGlob(m.connections, s.connection)) return false;
  if (m.tags !== undefined && !s.connectionTags.some((t) => anyGlob(m.tags!, t))) return false;
  if (m.time !== undefined && !inWindow(m.time, s.at)) return false;
  return true;
}

export const hasStatementCriteria = (m: RuleMatch): boolean =>
  m.classes !== undefined || m.kinds !== undefined || m.tables !== undefined || m.withoutWhere !== undefined || m.functions !== undefined || m.dangerous !== undefined || m.commands !== undefined || hasFileCriteria(m) || hasShellCriteria(m);

const hasFileCriteria = (m: RuleMatch): boolean => m.files !== undefined || m.direction !== undefined || hasForwardCriteria(m);

/** Shell-open and uncertain-line rules: judged on items of their own (evaluateShell, evaluateCommands), never on a statement, command or file. */
export const hasShellCriteria = (m: RuleMatch): boolean => m.shell !== undefined || m.uncertain !== undefined;

const tableName = (t: StatementInfo['tables'][number]): string[] =>
  // An unqualified table may live in any schema on the search_path: match it against any schema.
  t.schema === undefined ? [`*.${t.name}`, t.name] : [`${t.schema}.${t.name}`];

/**
 * Whether a rule's statement criteria cover a statement. Lists match
 * differently by effect: a block/review/mask rule matches when ANY table
 * (kind, function) matches, an allow rule only when there is at least one
 * and ALL match, so an allow for `public.reports` never lets through a
 * statement that also touches another table.
 */
export function statementMatches(rule: Rule, st: StatementInfo): boolean {
  const m = rule.match;
  const every = rule.effect === 'allow';
  const list = (patterns: readonly string[] | undefined, values: readonly string[][]): boolean => {
    if (patterns === undefined) return true;
    if (values.length === 0) return false;
    const hit = (alts: string[]) => alts.some((v) => patterns.some((p) => globTableAware(p, v)));
    return every ? values.every(hit) : values.some(hit);
  };
  if (m.commands !== undefined || hasFileCriteria(m) || hasShellCriteria(m)) return false;
  if (m.classes !== undefined && !m.classes.includes(st.class)) return false;
  if (m.withoutWhere !== undefined && m.withoutWhere !== st.updateOrDeleteWithoutWhere) return false;
  return (
    list(m.kinds, st.kinds.map((k) => [k])) &&
    list(m.tables, st.tables.map(tableName)) &&
    list(m.functions, st.functions.map((f) => [f])) &&
    list(m.dangerous, st.dangerous.map((d) => [d]))
  );
}

/**
 * `*.accounts` (unqualified table) matches `public.accounts`, `app.acc*`…: any schema, same name glob.
 * An unqualified pattern (`secrets`) names the table in any schema, so `public.secrets` cannot dodge it.
 */
function globTableAware(pattern: string, value: string): boolean {
  if (!pattern.includes('.') && value.includes('.')) return anyGlob([pattern], value.slice(value.lastIndexOf('.') + 1));
  if (value.startsWith('*.')) {
    const dot = pattern.lastIndexOf('.');
    return anyGlob([dot === -1 ? pattern : pattern.slice(dot + 1)], value.slice(2));
  }
  return anyGlob([pattern], value);
}

/**
 * Whether a rule's criteria cover one command. SQL-only criteria (kinds,
 * tables, functions, withoutWhere) never match a command. `commands` globs
 * are matched against the program and every wrapper it ran through, with
 * the same any/all split as tables: an allow for `ls` does not cover
 * `sudo ls`, a block of `sudo` catches `sudo ls`.
 */
export function commandMatches(rule: Rule, cmd: CommandInfo): boolean {
  const m = rule.match;
  if (m.kinds !== undefined || m.tables !== undefined || m.functions !== undefined || m.withoutWhere !== undefined || hasFileCriteria(m) || hasShellCriteria(m)) return false;
  if (m.classes !== undefined && !m.classes.includes(cmd.class)) return false;
  const every = rule.effect === 'allow';
  const list = (patterns: readonly string[] | undefined, values: readonly string[]): boolean => {
    if (patterns === undefined) return true;
    if (values.length === 0) return false;
    const hit = (v: string) => anyGlob(patterns, v);
    return every ? values.every(hit) : values.some(hit);
  };
  const names = [cmd.program, ...cmd.via.map((v) => v.split(' ')[0]!)];
  return list(m.commands, names) && list(m.dangerous, cmd.dangerous);
}
