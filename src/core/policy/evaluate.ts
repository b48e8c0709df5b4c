import { planMasks } from '../masking/plan.ts';
import type { CommandInfo } from '../shell/types.ts';
import type { StatementInfo } from '../sql/types.ts';
import { directionOf, fileMatches, type FileInfo } from './files.ts';
import { destinationOf, forwardMatches, type ForwardInfo } from './forwards.ts';
import { commandMatches, hasStatementCriteria, statementMatches, subjectMatches } from './match.ts';
import { effectRank, reviewSpecSchema } from './rules.ts';
import type { Effect, ReviewSpec, Rule } from './rules.ts';
import type { PolicySubject, RuleRef, Verdict } from './types.ts';

interface Decision {
  effect: Effect;
  rule: Rule | undefined;
  ref: RuleRef;
}

const strongest = (effects: Effect[]): Effect => effects.reduce<Effect>((a, b) => (effectRank[b] > effectRank[a] ? b : a), 'allow');

/**
 * The verdict for some statements (one request), pure.
 * - Access: for each statement, the allow/block/review rules that match it
 *   decide; when none does, the connection `defaults` do; when neither does,
 *   it is blocked (`default:uncovered`). The most restrictive effect over all
 *   statements wins (block > review > mask > allow); every rule that reached
 *   that effect is named.
 * - Masking: mask rules never decide access; when access is allow and some
 *   mask rule matches, the verdict is `mask` with the merged plan.
 * With no statements (e.g. opening a session) only rules without statement
 * criteria apply, and nothing matching means allow.
 */
export function evaluate(rules: readonly Rule[], subject: PolicySubject, statements: readonly StatementInfo[], defaults: readonly Rule[]): Verdict {
  const items = statements.map((st): Item => ({
    matches: (r) => statementMatches(r, st) && allowsExplicitly(r, st),
    what: `${st.kind} (${st.class})${st.tables.length > 0 ? ` on ${st.tables.map((t) => (t.schema === undefined ? t.name : `${t.schema}.${t.name}`)).join(', ')}` : ''}`,
    reason: st.reasons[0] ?? '',
    maskable: true,
  }));
  return combine(rules, subject, items, defaults, { statements });
}

/**
 * The verdict for the commands of one command line, by the same rules and
 * combination as SQL (a command is judged like a statement). Mask rules do
 * not apply: a byte stream cannot be masked.
 */
export function evaluateCommands(rules: readonly Rule[], subject: PolicySubject, commands: readonly CommandInfo[], defaults: readonly Rule[], uncertain?: string): Verdict {
  const items = commands.map((c): Item => ({
    matches: (r) => commandMatches(r, c),
    what: `${c.via.length > 0 ? `${c.via.join(' ')} ` : ''}${c.program === '' ? '(unknown program)' : c.program} (${c.class})`,
    reason: c.reasons[0] ?? '',
    maskable: false,
  }));
  // A typed line Warden could not fully see is one more thing to judge, by `uncertain: true` rules only:
  // what is known is judged as usual, and the unknown part must be allowed explicitly (fail closed).
  // It goes first, so a block message explains the uncertainty rather than a fragment of the line.
  if (uncertain !== undefined) items.unshift({ matches: (r) => r.match.uncertain === true, what: 'a line Warden could not fully see', reason: uncertain, maskable: false });
  return combine(rules, subject, items, defaults, { commands });
}

/**
 * Opening an interactive shell: only `shell: true` rules judge it (the
 * session itself was judged at connect), the strongest effect wins, and
 * with none matching the shell is allowed.
 */
export function evaluateShell(rules: readonly Rule[], subject: PolicySubject, defaults: readonly Rule[]): Verdict {
  const mine = rules.filter((r) => r.match.shell === true && subjectMatches(r.match, subject));
  const chosen = mine.length > 0 ? mine : defaults.filter((r) => r.match.shell === true && subjectMatches(r.match, subject));
  if (chosen.length === 0) return { effect: 'allow', rules: [] };
  const item: Item = { matches: (r) => chosen.includes(r), what: 'an interactive shell', reason: 'a shell runs commands Warden judges only as they are typed', maskable: false };
  return combine(chosen, subject, [item], [], { commands: [] });
}

/**
 * The verdict for one file operation (SFTP, scp), by the same rules and
 * combination; mask rules do not apply (file contents are not masked).
 */
export function evaluateFile(rules: readonly Rule[], subject: PolicySubject, file: FileInfo, defaults: readonly Rule[]): Verdict {
  const item: Item = { matches: (r) => fileMatches(r, file), what: `${file.op} ${file.paths.join(' -> ')}`, reason: `${directionOf(file.op)} of a file`, maskable: false };
  return combine(rules, subject, [item], defaults, { commands: [] });
}

/**
 * The verdict for one port forward: only `forwards:` rules match it, so
 * with none matching it is blocked (`default:uncovered`).
 */
export function evaluateForward(rules: readonly Rule[], subject: PolicySubject, forward: ForwardInfo, defaults: readonly Rule[]): Verdict {
  const item: Item = { matches: (r) => forwardMatches(r, forward), what: forward.remote ? `remote forward listening on ${destinationOf(forward)}` : `forward to ${destinationOf(forward)}`, reason: 'a port forward', maskable: false };
  return combine(rules, subject, [item], defaults, { commands: [] });
}

/**
 * Dangerous features only an allow rule that names them (`match.dangerous`)
 * may allow: a generic allow (`match: {}`, a class, a table) does not reach
 * them, so they stay off unless a rule says so (or a review approves the
 * statement). LOAD DATA LOCAL INFILE lets the target read a client's file.
 */
const explicitOnly: ReadonlySet<string> = new Set(['LOAD DATA LOCAL INFILE']);
const allowsExplicitly = (r: Rule, st: StatementInfo): boolean => r.effect !== 'allow' || r.match.dangerous !== undefined || !st.dangerous.some((d) => explicitOnly.has(d));

/** One thing a request does (a statement, a command), as the combination logic needs it. */
interface Item {
  matches(rule: Rule): boolean;
  what: string;
  reason: string;
  maskable: boolean;
}

function combine(rules: readonly Rule[], subject: PolicySubject, items: readonly Item[], defaults: readonly Rule[], extra: { statements?: readonly StatementInfo[]; commands?: readonly CommandInfo[] }): Verdict {
  const statements = extra.statements ?? [];
  const mine = rules.filter((r) => subjectMatches(r.match, subject));
  const fallback = defaults.filter((r) => subjectMatches(r.match, subject));
  const decisions: Decision[] = [];
  const masks = new Map<string, Rule>();

  if (items.length === 0) {
    for (const r of mine) if (r.effect !== 'mask' && !hasStatementCriteria(r.match)) decisions.push({ effect: r.effect, rule: r, ref: { id: r.id, reason: 'matches the session' } });
  }
  for (const st of items) {
    const access = (rs: Rule[]) => rs.filter((r) => r.effect !== 'mask' && st.matches(r));
    const own = access(mine);
    const chosen = own.length > 0 ? own : access(fallback);
    const what = st.what;
    if (chosen.length === 0) {
      // fail closed: a statement that neither a rule nor the connection default covers is blocked.
      decisions.push({ effect: 'block', rule: undefined, ref: { id: 'default:uncovered', reason: `${what}: no rule or default covers it` } });
    } else {
      const top = strongest(chosen.map((r) => r.effect));
      for (const r of chosen) if (r.effect === top) decisions.push({ effect: top, rule: r, ref: { id: r.id, reason: `${what}: ${st.reason}` } });
    }
    if (st.maskable) for (const r of [...mine, ...fallback]) if (r.effect === 'mask' && st.matches(r)) masks.set(r.id, r);
  }

  const effect = strongest(decisions.map((d) => d.effect));
  const deciding = dedupe(decisions.filter((d) => d.effect === effect));
  const refs = deciding.map((d) => d.ref);
  const base = extra.commands === undefined ? { rules: refs, statements } : { rules: refs, commands: extra.commands };
  if (effect === 'block') return { effect, ...base, message: blockMessage(deciding) };
  if (effect === 'review') {
    const approvers = [...new Set(deciding.flatMap((d) => d.rule?.approvers ?? []))];
    // The strictest settings of the deciding rules: most approvals, shortest timeout, hold over queue.
    const specs = deciding.map((d) => reviewSpecSchema.parse(d.rule?.review ?? {}));
    const review: ReviewSpec = {
      mode: specs.some((x) => x.mode === 'hold') ? 'hold' : 'queue',
      approvals: Math.max(...specs.map((x) => x.approvals)),
      eachGroup: specs.some((x) => x.eachGroup),
      timeoutMinutes: Math.min(...specs.map((x) => x.timeoutMinutes)),
      approvalWindowMinutes: Math.min(...specs.map((x) => x.approvalWindowMinutes)),
      maxRuns: Math.min(...specs.map((x) => x.maxRuns)),
      requireJustification: specs.some((x) => x.requireJustification),
      // A member skips review only when every deciding rule lets their group skip it.
      skipGroups: specs.map((x) => x.skipGroups).reduce((a, b) => a.filter((g) => b.includes(g))),
    };
    // Each rule's execution window still applies: an approved command runs only inside all of them.
    const windows = specs.flatMap((x) => (x.window === undefined ? [] : [x.window]));
    if (windows.length > 0) review.windows = windows;
    return { effect, ...base, approvers, review, message: reviewMessage(deciding, approvers) };
  }
  if (masks.size > 0) {
    const plan = planMasks([...masks.values()].map((r) => ({ rule: r.id, spec: r.mask! })), subject.groups);
    const maskRefs = [...masks.values()].map((r) => ({ id: r.id, reason: 'mask rule' }));
    return { effect: 'mask', rules: [...refs, ...maskRefs], statements, masks: plan };
  }
  return { effect: 'allow', ...base };
}

function dedupe(ds: Decision[]): Decision[] {
  const seen = new Set<string>();
  return ds.filter((d) => (seen.has(d.ref.id) ? false : (seen.add(d.ref.id), true)));
}

function blockMessage(ds: Decision[]): string {
  const d = ds[0]!;
  const why = d.rule?.message ?? d.ref.reason;
  return `blocked by policy rule "${d.ref.id}": ${why}. Ask a Warden administrator if you need this.`;
}

function reviewMessage(ds: Decision[], approvers: string[]): string {
  const d = ds[0]!;
  const who = approvers.length > 0 ? ` by ${approvers.join(', ')}` : '';
  return `approval${who} is required by policy rule "${d.ref.id}" (${d.rule?.message ?? d.ref.reason})`;
}
