import { describe, expect, it } from 'vitest';
import { WardenError } from '../errors.ts';
import { loadRulesYaml } from './load.ts';

const good = `
rules:
  - id: no-drop-prod
    description: nobody drops tables on prod
    match:
      connections: ['prod-*']
      kinds: [DropStmt]
    effect: block
    message: use a migration
  - id: mask-pii
    match: { tables: ['public.customers'] }
    effect: mask
    mask:
      columns:
        - { column: public.customers.card, strategy: partial }
        - { name: '*email*', strategy: hash }
      detectors: all
      exemptGroups: [pii-readers]
`;

const errorOf = (text: string): WardenError => {
  try {
    loadRulesYaml(text);
  } catch (err) {
    if (err instanceof WardenError) return err;
    throw err;
  }
  throw new Error('expected the file to be rejected');
};

describe('loadRulesYaml', () => {
  it('loads a rules file with defaults filled in', () => {
    const rules = loadRulesYaml(good);
    expect(rules.map((r) => r.id)).toEqual(['no-drop-prod', 'mask-pii']);
    expect(rules[1]!.mask!.detectors).toContain('iban');
    expect(rules[1]!.mask!.detectorStrategy).toBe('redact');
  });

  it('accepts a top-level list', () => {
    expect(loadRulesYaml('- { id: a, effect: allow }')).toHaveLength(1);
    expect(loadRulesYaml('')).toEqual([]);
  });

  it('points at the line of a bad field and names the rule', () => {
    const err = errorOf(good.replace('kinds: [DropStmt]', 'kinds: [DropStmt]\n      clases: [write]'));
    expect(err.kind).toBe('bad_request');
    expect(err.message).toMatch(/line 8 \(rule "no-drop-prod"\): match: Unrecognized key: "clases"/);
    expect(err.message).toMatch(/none of its rules were applied/);
    const err2 = errorOf(good.replace('effect: block', 'effect: deny'));
    expect(err2.message).toMatch(/line 8 \(rule "no-drop-prod"\): effect:/);
    const err3 = errorOf(good.replace("strategy: partial", 'strategy: scramble'));
    expect(err3.message).toMatch(/line 15 \(rule "mask-pii"\): mask.columns.0.strategy/);
  });

  it('rejects duplicate ids, mask rules without mask, and bad YAML', () => {
    expect(errorOf('- { id: a, effect: allow }\n- { id: a, effect: block }').message).toMatch(/line 2.*duplicate rule id "a"/);
    expect(errorOf('- { id: m, effect: mask }').message).toMatch(/mask/);
    expect(errorOf('rules:\n  - id: [unclosed\n').message).toMatch(/line \d+: not valid YAML/);
  });
});
