import { classifyCommand } from '../shell/classify.ts';
import type { PostgresClassifier } from '../sql/classifier.ts';
import type { MysqlClassifier } from '../sql/mysql/classifier.ts';
import type { StatementInfo } from '../sql/types.ts';
import { shippedCommandDefaults } from './command-defaults.ts';
import { shippedDefaults } from './defaults.ts';
import { evaluate, evaluateCommands, evaluateFile, evaluateForward, evaluateShell } from './evaluate.ts';
import { shippedFileDefaults } from './files.ts';
import type { Rule } from './rules.ts';
import type { PolicyEngine, PolicySubject, Request, Verdict } from './types.ts';

export interface PolicyEngineOptions {
  rules: readonly Rule[];
  /** Default for what no rule covers, per connection name; `defaults` for the others (shipped default when absent). */
  defaults?: readonly Rule[];
  connectionDefaults?: Readonly<Record<string, readonly Rule[]>>;
  /** The PostgreSQL classifier (from `createPostgresClassifier(await initSql())`). */
  classifier: PostgresClassifier;
  /** The MySQL/MariaDB classifier (from `createMysqlClassifier()`); without it MySQL SQL is blocked. */
  mysqlClassifier?: MysqlClassifier;
  /** Defaults judged before the connection defaults for shell commands (`shippedCommandDefaults()` when absent). */
  commandDefaults?: readonly Rule[];
  /** Defaults for file operations (SFTP, scp), judged with the connection defaults (`shippedFileDefaults()` when absent). */
  fileDefaults?: readonly Rule[];
}

/**
 * The policy engine the gateway calls for each request. Time windows are
 * judged at `subject.at`, which the protocol stamps from the injected clock.
 */
export function createPolicyEngine(options: PolicyEngineOptions): PolicyEngine {
  const defaults = options.defaults ?? shippedDefaults();
  const defaultsFor = (connection: string) => options.connectionDefaults?.[connection] ?? defaults;
  const commandDefaults = options.commandDefaults ?? shippedCommandDefaults();
  const fileDefaults = options.fileDefaults ?? shippedFileDefaults();
  // Verdicts are memoised per classification (the classifier hands out the same frozen array for
  // statements that differ only in literals) and per subject — unless a rule looks at the clock.
  const timeless = ![...options.rules, ...defaults, ...Object.values(options.connectionDefaults ?? {}).flat()].some((r) => r.match.time !== undefined);
  const memo = new WeakMap<readonly StatementInfo[], Map<string, Verdict>>();
  // A frozen subject (one per session, `sessionSubject`; its lists are private copies) keeps its key:
  // no string built per statement. Only frozen subjects and classifications are ever memoised, and a
  // freeze is for good, so a memo hit needs no Object.isFrozen (a slow runtime call) per statement.
  const whoKeys = new WeakMap<PolicySubject, string>();
  const whoOf = (subject: PolicySubject): string => {
    let who = whoKeys.get(subject);
    if (who === undefined) {
      who = `${subject.user}\0${subject.groups.join('\0')}\0\0${subject.connection}\0${subject.connectionTags.join('\0')}`;
      if (Object.isFrozen(subject)) whoKeys.set(subject, who);
    }
    return who;
  };
  const judge = (subject: PolicySubject, statements: readonly StatementInfo[]): Verdict => {
    let bySubject = timeless ? memo.get(statements) : undefined;
    if (!bySubject) {
      if (!timeless || !Object.isFrozen(statements)) return evaluate(options.rules, subject, statements, defaultsFor(subject.connection));
      memo.set(statements, (bySubject = new Map()));
    }
    const who = whoOf(subject);
    let verdict = bySubject.get(who);
    if (!verdict) {
      if (bySubject.size >= 64) bySubject.clear();
      verdict = evaluate(options.rules, subject, statements, defaultsFor(subject.connection));
      bySubject.set(who, verdict);
    }
    return verdict;
  };
  const decideSync = (subject: PolicySubject, request: Request): Verdict => {
    if (request.kind === 'connect') return evaluate(options.rules, subject, [], defaultsFor(subject.connection));
    if (request.kind === 'sql' && request.dialect === 'postgres') {
      const opts = request.preparedTexts === undefined ? undefined : { prepared: request.preparedTexts };
      return judge(subject, options.classifier.classify(request.text, opts));
    }
    // MySQL text is judged by the same rules; `EXECUTE` of a SQL-prepared statement stays unknown (blocked).
    if (request.kind === 'sql' && request.dialect === 'mysql' && options.mysqlClassifier !== undefined) return judge(subject, options.mysqlClassifier.classify(request.text));
    // Every command of the line (pipes, `$(…)`, `sudo`, `bash -c`…) is judged; unknown ones are blocked by default.
    if (request.kind === 'command') {
      // An uncertain typed line with nothing known (Up, Enter) has no commands to judge, only its uncertainty.
      const unseen = request.uncertain !== undefined && request.line.trim() === '';
      return evaluateCommands(options.rules, subject, unseen ? [] : classifyCommand(request.line), [...commandDefaults, ...defaultsFor(subject.connection)], request.uncertain);
    }
    if (request.kind === 'shell') return evaluateShell(options.rules, subject, defaultsFor(subject.connection));
    // File operations: the connection defaults after the shipped file default, so a connection default can tighten it.
    if (request.kind === 'file') return evaluateFile(options.rules, subject, { op: request.op, paths: request.paths }, [...fileDefaults, ...defaultsFor(subject.connection)]);
    // Forwards are judged by `forwards:` rules only: none matching blocks (denied by default).
    if (request.kind === 'forward') return evaluateForward(options.rules, subject, { host: request.host, port: request.port, remote: request.remote === true }, defaultsFor(subject.connection));
    // fail closed: requests this engine cannot judge yet (MySQL without its classifier, HTTP) are blocked.
    const what = request.kind === 'sql' ? `${request.dialect} SQL` : `${request.kind} requests`;
    return { effect: 'block', rules: [{ id: 'engine:unsupported', reason: `no policy support for ${what}` }], message: `Warden cannot judge ${what} yet, so it is blocked; ask an administrator.` };
  };
  const decideNow = (subject: PolicySubject, request: Request): Verdict => {
    try {
      return decideSync(subject, request);
    } catch (err) {
      // fail closed: any error while deciding is a block, never an allow.
      const reason = err instanceof Error ? err.message : String(err);
      return { effect: 'block', rules: [{ id: 'engine:error', reason }], message: 'Warden could not evaluate the policy for this statement, so it was blocked; the incident was logged.' };
    }
  };
  return { decideNow, decide: async (subject, request) => decideNow(subject, request) };
}
