import { beforeAll, describe, expect, it } from 'vitest';
import { classifyCommand } from '../shell/classify.ts';
import { createPostgresClassifier } from '../sql/classifier.ts';
import type { PostgresClassifier } from '../sql/classifier.ts';
import { initSql } from '../sql/parser.ts';
import { shippedCommandDefaults } from './command-defaults.ts';
import { shippedDefaults } from './defaults.ts';
import { createPolicyEngine } from './engine.ts';
import { evaluate, evaluateCommands } from './evaluate.ts';
import { loadRulesYaml } from './load.ts';
import type { PolicySubject } from './types.ts';

let classifier: PostgresClassifier;
beforeAll(async () => {
  classifier = createPostgresClassifier(await initSql());
});
const alice: PolicySubject = { user: 'alice', groups: ['dev'], connection: 'box', connectionTags: [], at: new Date('2026-01-05T12:00:00Z') };
const run = (line: string, yaml = '[]', subject = alice) => evaluateCommands(loadRulesYaml(yaml), subject, classifyCommand(line), [...shippedCommandDefaults(), ...shippedDefaults()]);

describe('command policy: shipped defaults', () => {
  it('allows reads, reviews writes and network, blocks privileged, destructive and unknown', () => {
    expect(run('ls -la | grep x')).toMatchObject({ effect: 'allow', rules: [{ id: 'default:command-allow-read' }, { id: 'default:allow-read' }] });
    expect(run('touch /tmp/x').effect).toBe('review');
    expect(run('curl https://example.com').effect).toBe('review');
    expect(run('sudo ls')).toMatchObject({ effect: 'block', rules: [{ id: 'default:command-block-privileged' }, { id: 'default:block-admin' }] });
    expect(run('ls; rm -rf /')).toMatchObject({ effect: 'block', message: expect.stringContaining('destructive commands') });
    expect(run('eval "$X"')).toMatchObject({ effect: 'block', message: expect.stringContaining('cannot tell what this command does') });
    expect(run("echo 'unterminated").effect).toBe('block');
  });

  it('names what was judged in the verdict', () => {
    const v = run('echo $(rm -rf /)');
    expect(v.commands?.map((c) => c.program)).toEqual(['echo', 'rm']);
    expect(v.rules[0]!.reason).toContain('rm (admin)');
    expect(v.statements).toBeUndefined();
  });
});

describe('command policy: rules', () => {
  const rules = `
- { id: no-rm, match: { commands: [rm, touch] }, effect: block, message: no deleting }
- { id: ops-root, match: { groups: [ops], commands: [sudo, ls, systemctl] }, effect: allow }
- { id: allow-rest, match: { classes: [read, write, network] }, effect: allow }
`;
  it('a commands glob catches the program wherever it hides', () => {
    for (const line of ['rm x', 'ls && rm x', 'echo `rm x`', "bash -c 'rm x'", 'find . -exec rm {} +', 'xargs rm', 'sudo rm x', 'r\\m x']) {
      expect(run(line, rules), line).toMatchObject({ effect: 'block', rules: [{ id: 'no-rm' }], message: expect.stringContaining('no deleting') });
    }
    expect(run('cp a b; curl x', rules)).toMatchObject({ effect: 'allow', rules: [{ id: 'allow-rest' }] });
  });

  it('an allow covers a command only when it names the program and every wrapper', () => {
    const only = '- { id: ls-ok, match: { commands: [ls] }, effect: allow }';
    expect(run('ls', only).effect).toBe('allow');
    expect(run('sudo ls', only)).toMatchObject({ effect: 'block', rules: [{ id: 'default:command-block-privileged' }, { id: 'default:block-admin' }] });
    const ops = { ...alice, groups: ['ops'] };
    expect(run('sudo ls', rules, ops)).toMatchObject({ effect: 'allow', rules: [{ id: 'ops-root' }] });
    expect(run('sudo rm x', rules, ops)).toMatchObject({ effect: 'block', rules: [{ id: 'no-rm' }] });
    expect(run('sudo ls', rules)).toMatchObject({ effect: 'block' });
  });

  it('unknown programs stay blocked when rules only allow known classes', () => {
    expect(run('$CMD', rules).effect).toBe('block');
    expect(run('frobnicate --now', rules).effect).toBe('block');
  });

  it('SQL-only criteria never match a command, command criteria never match SQL', () => {
    expect(run('touch x', '- { id: t, match: { tables: [x] }, effect: allow }').effect).toBe('review');
    const sqlRules = loadRulesYaml('- { id: c, match: { commands: ["*"] }, effect: block }');
    expect(evaluate(sqlRules, alice, classifier.classify('SELECT 1'), shippedDefaults())).toMatchObject({ effect: 'allow', rules: [{ id: 'default:allow-read' }] });
  });

  it('mask rules do not apply to commands', () => {
    const yaml = '- { id: m, match: {}, effect: mask, mask: { columns: [{ name: x }] } }';
    expect(run('ls', yaml).effect).toBe('allow');
  });

  it('the engine judges command requests', async () => {
    const engine = createPolicyEngine({ classifier, rules: loadRulesYaml(rules) });
    expect(await engine.decide(alice, { kind: 'command', line: 'ls | wc -l', interactive: false })).toMatchObject({ effect: 'allow' });
    expect(await engine.decide(alice, { kind: 'command', line: 'ls; touch x', interactive: true })).toMatchObject({ effect: 'block', rules: [{ id: 'no-rm' }] });
    expect(await engine.decide(alice, { kind: 'file', op: 'upload', paths: ['/tmp/x'] })).toMatchObject({ effect: 'allow', rules: [{ id: 'default:file-allow' }] });
  });
});
