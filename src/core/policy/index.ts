/**
 * Policy: rules as data, and a pure evaluator that turns who/where/when plus
 * what a statement does (from `core/sql`) into allow / block / review / mask,
 * naming every rule that decided. The most restrictive verdict wins, a
 * connection default covers what no rule does, and any error blocks.
 */
export type { PolicyEngine, PolicySubject, Request, RuleRef, Verdict } from './types.ts';
export { allowAll } from './types.ts';
export { effects, effectRank, ruleSchema, rulesSchema } from './rules.ts';
export type { Effect, Rule, RuleMatch, TimeWindow } from './rules.ts';
export { loadRulesYaml } from './load.ts';
export { evaluate, evaluateCommands, evaluateFile, evaluateShell } from './evaluate.ts';
export { directionOf, fileOps, shippedFileDefaults } from './files.ts';
export type { FileDirection, FileInfo, FileOp } from './files.ts';
export { shippedDefaults } from './defaults.ts';
export { shippedCommandDefaults } from './command-defaults.ts';
export { createPolicyEngine } from './engine.ts';
export type { PolicyEngineOptions } from './engine.ts';
export { createPolicyService } from './service.ts';
export type { PolicyDocument, PolicyService, PolicyServiceOptions, PolicySnapshot, PolicyStoreRepo } from './service.ts';
export { globMatch } from './glob.ts';
export { inWindow } from './time.ts';
