import { LineCounter, parseDocument } from 'yaml';
import type { Clock } from '../clock.ts';
import { WardenError } from '../errors.ts';
import type { PostgresClassifier } from '../sql/classifier.ts';
import type { MysqlClassifier } from '../sql/mysql/classifier.ts';
import { createPolicyEngine, type PolicyEngineOptions } from './engine.ts';
import { loadRulesYaml } from './load.ts';
import type { Rule } from './rules.ts';
import type { PolicyEngine, PolicySubject, Verdict } from './types.ts';

/** A rules document as an administrator applied it (the YAML text is kept verbatim). */
export interface PolicyDocument {
  yaml: string;
  updatedAt: Date;
  updatedBy: string;
}

/**
 * Port the store implements: the current applied rules document. Each `put`
 * is a new version (history is kept); `get` returns the latest, undefined
 * when none was ever applied.
 */
export interface PolicyStoreRepo {
  get(): Promise<(PolicyDocument & { version: number }) | undefined>;
  /** Stores a new current document; returns its version number. */
  put(doc: PolicyDocument): Promise<number>;
}

/** What the policy is made of right now, for `GET /api/v1/policy`. */
export interface PolicySnapshot {
  /** Rules from the configuration (read-only at run time). */
  config: Rule[];
  /** Rules applied through the API/CLI. */
  stored: Rule[];
  yaml: string | undefined;
  version: number | undefined;
  updatedAt: Date | undefined;
  updatedBy: string | undefined;
  /** Why the stored document could not be used; while set, every request is blocked. */
  problem: string | undefined;
}

export interface PolicyService extends PolicyEngine {
  /** Validates a whole rules file, stores it as the new version and swaps the engine; all or nothing. */
  apply(yamlText: string, by: string): Promise<{ rules: number; version: number }>;
  current(): PolicySnapshot;
  /** A dry run of one SQL text; with `candidateYaml`, against that file instead of the stored rules. */
  test(subject: PolicySubject, sqlText: string, candidateYaml?: string): Promise<Verdict>;
  /** Reloads the stored document when another replica changed it; true when it did. Never throws. */
  refresh(): Promise<boolean>;
}

export interface PolicyServiceOptions {
  classifier: PostgresClassifier;
  /** Judges `dialect: 'mysql'` SQL; without it MySQL SQL is blocked. */
  mysqlClassifier?: MysqlClassifier;
  configRules: readonly Rule[];
  repo: PolicyStoreRepo;
  clock: Clock;
  /** Passed to the engine (shipped defaults when absent). */
  defaults?: PolicyEngineOptions['defaults'];
  connectionDefaults?: PolicyEngineOptions['connectionDefaults'];
}

/** Stored rule ids may not look like the engine's own, so a verdict never names an ambiguous rule. */
const reservedPrefixes = ['default:', 'engine:', 'policy:'];

/**
 * The policy the gateway runs: configuration rules plus the stored document,
 * compiled into one engine that is replaced as a whole when rules change, so
 * a decision always sees one consistent rule set.
 */
export async function createPolicyService(opts: PolicyServiceOptions): Promise<PolicyService> {
  const config = [...opts.configRules];
  const build = (rules: readonly Rule[]) =>
    createPolicyEngine({
      classifier: opts.classifier,
      ...(opts.mysqlClassifier === undefined ? {} : { mysqlClassifier: opts.mysqlClassifier }),
      rules: [...config, ...rules],
      ...(opts.defaults === undefined ? {} : { defaults: opts.defaults }),
      ...(opts.connectionDefaults === undefined ? {} : { connectionDefaults: opts.connectionDefaults }),
    });
  const parse = (text: string, source: string): Rule[] => {
    const rules = loadRulesYaml(text, source);
    checkIds(text, rules, config, source);
    return rules;
  };

  let state = { snapshot: emptySnapshot(config), engine: build([]) };
  const load = (doc: (PolicyDocument & { version: number }) | undefined) => {
    if (doc === undefined) return { snapshot: emptySnapshot(config), engine: build([]) };
    const meta = { yaml: doc.yaml, version: doc.version, updatedAt: doc.updatedAt, updatedBy: doc.updatedBy };
    try {
      const stored = parse(doc.yaml, `stored policy version ${doc.version}`);
      return { snapshot: { config, stored, ...meta, problem: undefined }, engine: build(stored) };
    } catch (err) {
      // fail closed: a stored document that no longer validates (a newer schema,
      // a config rule now reusing one of its ids) blocks everything until an
      // admin applies a fixed one; the API stays up so they can.
      const problem = err instanceof Error ? err.message : String(err);
      return { snapshot: { config, stored: [], ...meta, problem }, engine: blockEverything(problem) };
    }
  };
  state = load(await opts.repo.get());

  // Applies run one at a time, so the stored order and the engine order agree.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    decide: (subject, request) => state.engine.decide(subject, request),
    decideNow: (subject, request) => state.engine.decideNow?.(subject, request),
    apply: (yamlText, by) =>
      serial(async () => {
        const stored = parse(yamlText, 'rules file');
        const updatedAt = opts.clock.now();
        const version = await opts.repo.put({ yaml: yamlText, updatedAt, updatedBy: by });
        state = {
          snapshot: { config, stored, yaml: yamlText, version, updatedAt, updatedBy: by, problem: undefined },
          engine: build(stored),
        };
        return { rules: stored.length, version };
      }),
    current: () => ({ ...state.snapshot, config: [...config], stored: [...state.snapshot.stored] }),
    test: async (subject, sqlText, candidateYaml) => {
      const engine = candidateYaml === undefined ? state.engine : build(parse(candidateYaml, 'candidate rules file'));
      return engine.decide(subject, { kind: 'sql', dialect: 'postgres', text: sqlText });
    },
    refresh: () =>
      serial(async () => {
        try {
          const doc = await opts.repo.get();
          if (doc?.version === state.snapshot.version) return false;
          state = load(doc);
          return true;
        } catch {
          // The store is unreachable: keep the rules we have; the next refresh retries.
          return false;
        }
      }),
  };
}

function emptySnapshot(config: Rule[]): PolicySnapshot {
  return { config, stored: [], yaml: undefined, version: undefined, updatedAt: undefined, updatedBy: undefined, problem: undefined };
}

/** Rejects ids the configuration already uses or the engine reserves, pointing at the line of the id. */
function checkIds(text: string, rules: Rule[], config: readonly Rule[], source: string): void {
  const taken = new Set(config.map((r) => r.id));
  rules.forEach((r, i) => {
    const reserved = reservedPrefixes.find((p) => r.id.startsWith(p));
    if (!taken.has(r.id) && reserved === undefined) return;
    const why = reserved === undefined ? 'is already used by a rule in the gateway configuration' : `starts with "${reserved}", which Warden reserves for its own rules`;
    throw new WardenError(
      'bad_request',
      `${source} line ${idLine(text, i)} (rule "${r.id}"): the id ${why}; rename the rule. None of its rules were applied.`,
    );
  });
}

/** The line of rule `index`'s `id:` (the file is valid YAML: loadRulesYaml accepted it). */
function idLine(text: string, index: number): number {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const wrapped = !Array.isArray(doc.toJS());
  const path = wrapped ? ['rules', index, 'id'] : [index, 'id'];
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range !== undefined) return lc.linePos(node.range[0]).line;
  }
  return 1;
}

/** The engine while the stored policy is unusable: nothing passes. */
function blockEverything(problem: string): PolicyEngine {
  const verdict: Verdict = {
    effect: 'block',
    rules: [{ id: 'policy:invalid', reason: problem }],
    message: 'the stored Warden policy is invalid, so everything is blocked until an administrator applies a fixed one (`warden policy apply -f …`).',
  };
  return { decide: async () => verdict, decideNow: () => verdict };
}
