import { readFileSync } from 'node:fs';
import { WardenError } from '../errors.ts';
import type { PostgresClassifier } from '../sql/classifier.ts';
import { createPolicyEngine } from './engine.ts';
import { loadRulesYaml } from './load.ts';
import { rulesSchema, type Rule } from './rules.ts';
import type { PolicyEngine } from './types.ts';

/**
 * Builds the gateway's policy engine from the configuration: inline rules
 * plus an optional rules file, validated whole. A bad rule stops the gateway
 * from starting with the reason (fail closed: no half-loaded policy).
 */
export function policyFromConfig(cfg: { rules: unknown[]; rulesFile: string }, classifier: PostgresClassifier): { engine: PolicyEngine; rules: Rule[] } {
  const inline = rulesSchema.safeParse(cfg.rules);
  if (!inline.success) {
    const lines = inline.error.issues.map((i) => `  policy.rules.${i.path.join('.')}: ${i.message}`);
    throw new WardenError('bad_request', `invalid policy rules in the configuration:\n${lines.join('\n')}`);
  }
  let fromFile: Rule[] = [];
  if (cfg.rulesFile) {
    let text: string;
    try {
      text = readFileSync(cfg.rulesFile, 'utf8');
    } catch (err) {
      throw new WardenError('bad_request', `cannot read policy.rulesFile ${cfg.rulesFile}: ${(err as Error).message}`);
    }
    fromFile = loadRulesYaml(text, cfg.rulesFile);
  }
  const rules = [...inline.data, ...fromFile];
  const ids = new Set<string>();
  for (const r of rules) {
    if (ids.has(r.id)) throw new WardenError('bad_request', `policy rule id "${r.id}" is used twice (config and rules file together)`);
    ids.add(r.id);
  }
  return { engine: createPolicyEngine({ rules, classifier }), rules };
}
