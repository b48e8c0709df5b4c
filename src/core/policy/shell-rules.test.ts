import { describe, expect, it } from 'vitest';
import { classifyCommand } from '../shell/classify.ts';
import { shippedCommandDefaults } from './command-defaults.ts';
import { shippedDefaults } from './defaults.ts';
import { evaluate, evaluateCommands, evaluateShell } from './evaluate.ts';
import { loadRulesYaml } from './load.ts';
import type { PolicySubject } from './types.ts';

const alice: PolicySubject = { user: 'alice', groups: ['dev'], connection: 'box', connectionTags: [], at: new Date('2026-01-05T12:00:00Z') };
const bob: PolicySubject = { ...alice, user: 'bob', groups: ['ops'] };
const typed = (line: string, uncertain: string | undefined, yaml = '[]') =>
  evaluateCommands(loadRulesYaml(yaml), alice, classifyCommand(line), [...shippedCommandDefaults(), ...shippedDefaults()], uncertain);

describe('uncertain typed lines', () => {
  it('are blocked by the shipped default, with a message about the uncertainty', () => {
    expect(typed('ls', 'history recall')).toMatchObject({ effect: 'block', rules: [{ id: 'default:command-block-uncertain', reason: expect.stringContaining('history recall') }] });
    expect(typed('ls', 'tab completion')).toMatchObject({ message: expect.stringContaining('could not see the whole typed line') });
  });

  it('an `uncertain: true` allow rule lets them through, but what is known is still judged', () => {
    const yaml = '- { id: trust-typing, match: { groups: [dev], uncertain: true }, effect: allow }';
    expect(typed('ls', 'history recall', yaml)).toMatchObject({ effect: 'allow' });
    expect(typed('sudo ls', 'tab completion', yaml)).toMatchObject({ effect: 'block', rules: [{ id: 'default:command-block-privileged' }, { id: 'default:block-admin' }] });
  });

  it('an `uncertain: true` rule never allows a certain line, an exec, a statement or a session by itself', () => {
    const rules = loadRulesYaml('- { id: trust-typing, match: { uncertain: true }, effect: allow }');
    expect(evaluateCommands(rules, alice, classifyCommand('eval "$X"'), [...shippedCommandDefaults(), ...shippedDefaults()]).effect).toBe('block');
    const block = loadRulesYaml('- { id: no-uncertain, match: { uncertain: true }, effect: block }');
    expect(evaluate(block, alice, [], shippedDefaults()).effect).toBe('allow');
  });
});

describe('shell: true rules', () => {
  const yaml = `
- { id: dev-no-shell, match: { groups: [dev], shell: true }, effect: block, message: use exec }
- { id: ops-shell-review, match: { groups: [ops], shell: true }, effect: review, approvers: [leads], review: { mode: queue } }
`;
  it('decide who may open a shell; with none matching, a shell is allowed', () => {
    const rules = loadRulesYaml(yaml);
    expect(evaluateShell(rules, alice, shippedDefaults())).toMatchObject({ effect: 'block', message: expect.stringContaining('use exec') });
    expect(evaluateShell(rules, bob, shippedDefaults())).toMatchObject({ effect: 'review', approvers: ['leads'], review: { mode: 'queue' } });
    expect(evaluateShell(rules, { ...alice, user: 'carol', groups: [] }, shippedDefaults())).toMatchObject({ effect: 'allow', rules: [] });
  });

  it('never judge commands or the session itself', () => {
    const rules = loadRulesYaml(yaml);
    expect(evaluateCommands(rules, alice, classifyCommand('ls'), [...shippedCommandDefaults(), ...shippedDefaults()]).effect).toBe('allow');
    expect(evaluate(rules, alice, [], shippedDefaults()).effect).toBe('allow');
  });

  it('take only who/where/when criteria', () => {
    expect(() => loadRulesYaml('- { id: x, match: { shell: true, commands: [ls] }, effect: block }')).toThrow(/only users, groups/);
    expect(() => loadRulesYaml('- { id: x, match: { shell: true, uncertain: true }, effect: block }')).toThrow(/only users, groups/);
    expect(() => loadRulesYaml('- { id: x, match: { shell: false }, effect: block }')).toThrow();
  });
});
