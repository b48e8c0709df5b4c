import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { shippedDefaults } from '../../src/core/policy/defaults.ts';
import { createPolicyEngine } from '../../src/core/policy/engine.ts';
import { loadRulesYaml } from '../../src/core/policy/load.ts';
import { rulesSchema, type Rule } from '../../src/core/policy/rules.ts';
import type { PolicySubject, Verdict } from '../../src/core/policy/types.ts';
import { createPostgresClassifier, type PostgresClassifier } from '../../src/core/sql/classifier.ts';
import { initSql } from '../../src/core/sql/parser.ts';
import { demoRules } from '../../src/demo/policy.ts';

/**
 * docs/policy.md stays true: every yaml block loads (as a rules file, or as a
 * gateway config with `policy.rules`), the worked example is the demo's
 * policy, the shipped-defaults table lists the shipped rules, and the
 * behaviours the text promises for its examples hold.
 */
const doc = readFileSync(new URL('../../docs/policy.md', import.meta.url), 'utf8');
const blocks = (lang: string): string[] => [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

/** The rules of one yaml block; a config snippet is validated as the gateway validates its file. */
function rulesOf(block: string): Rule[] {
  const js = parse(block) as Record<string, unknown>;
  if ('policy' in js) return rulesSchema.parse(validateConfig(js, 'docs/policy.md').policy.rules);
  return loadRulesYaml(block, 'docs/policy.md');
}

const ruleBlock = (id: string): Rule[] => {
  const found = blocks('yaml').find((b) => b.includes(`id: ${id}\n`));
  if (found === undefined) throw new Error(`no yaml block with rule ${id} in docs/policy.md`);
  return rulesOf(found);
};

let classifier: PostgresClassifier;
beforeAll(async () => {
  classifier = createPostgresClassifier(await initSql());
});

const subject = (s: Partial<PolicySubject>): PolicySubject => ({ user: 'u', groups: [], connection: 'prod', connectionTags: [], at: new Date('2026-01-07T12:00:00Z'), ...s });
const decide = (rules: Rule[], s: PolicySubject, text?: string): Promise<Verdict> =>
  createPolicyEngine({ rules, classifier }).decide(s, text === undefined ? { kind: 'connect' } : { kind: 'sql', dialect: 'postgres', text });

describe('docs/policy.md', () => {
  it('has yaml examples, and every one of them loads with at least one rule', () => {
    const yaml = blocks('yaml');
    expect(yaml.length).toBeGreaterThanOrEqual(7);
    for (const b of yaml) expect(rulesOf(b).length, b).toBeGreaterThan(0);
  });

  it('shows the real error for a bad rule', () => {
    const bad = ['rules:', '  - id: ok', '    match: { classes: [read] }', '    effect: allow', '  - id: no-drop', '    match: { kinds: [DropStmt] }', '    effect: deny', ''].join('\n');
    expect(() => loadRulesYaml(bad, 'rules.yaml')).toThrow();
    let message = '';
    try {
      loadRulesYaml(bad, 'rules.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(blocks('text').some((b) => b.trim() === message)).toBe(true);
  });

  it("gives the demo's policy as the worked example, exactly", () => {
    expect(ruleBlock('demo:block-destructive')).toEqual(demoRules());
  });

  it('lists every shipped default rule in its table', () => {
    for (const r of shippedDefaults()) expect(doc).toContain(`| \`${r.id}\` |`);
  });

  it('time windows: the contractor rules refuse connections outside office hours only; etl writes by night', async () => {
    const rules = ruleBlock('contractors-evenings');
    const c = (iso: string) => subject({ groups: ['contractors'], at: new Date(iso) });
    // 2026-01-07 is a Wednesday; Paris is UTC+1 in January.
    expect((await decide(rules, c('2026-01-07T09:30:00Z'))).effect).toBe('allow');
    expect((await decide(rules, c('2026-01-07T17:30:00Z'))).effect).toBe('block');
    expect((await decide(rules, c('2026-01-07T07:30:00Z'))).effect).toBe('block');
    expect((await decide(rules, c('2026-01-10T12:00:00Z'))).effect).toBe('block');
    expect((await decide(rules, c('2026-01-07T17:30:00Z'), 'select 1')).effect).toBe('block');
    const etl = (iso: string) => subject({ user: 'etl-nightly', at: new Date(iso) });
    expect((await decide(rules, etl('2026-01-07T23:00:00Z'), 'insert into t values (1)')).effect).toBe('allow');
    expect((await decide(rules, etl('2026-01-07T12:00:00Z'), 'insert into t values (1)')).effect).toBe('review');
    expect((await decide(rules, etl('2026-01-07T23:00:00Z'), 'truncate t')).effect).toBe('block');
  });

  it('the "days is the weekday of the moment itself" example holds', async () => {
    const [rule] = rulesSchema.parse([{ id: 'w', match: { time: { days: ['fri'], hours: '22:00-06:00' } }, effect: 'block' }]);
    const at = (iso: string) => decide([rule!], subject({ at: new Date(iso) }));
    expect((await at('2026-01-09T23:00:00Z')).effect).toBe('block'); // Friday 23:00
    expect((await at('2026-01-09T05:00:00Z')).effect).toBe('block'); // Friday 05:00
    expect((await at('2026-01-10T02:00:00Z')).effect).toBe('allow'); // Saturday 02:00
  });

  it('an allow rule replaces the default; a block rule beside it wins', async () => {
    const rules = ruleBlock('migrators-ddl');
    const m = subject({ groups: ['migrators'] });
    expect((await decide(rules, m, 'create table t (id int)')).effect).toBe('allow');
    expect((await decide(rules, m, 'drop table t')).effect).toBe('block');
    expect((await decide([rules[0]!], m, 'drop table t')).effect).toBe('allow');
  });

  it('the access examples behave as described', async () => {
    const rules = ruleBlock('no-unbounded-writes');
    const s = subject({ groups: ['reporting'], connectionTags: ['production'] });
    expect((await decide(rules, s, 'delete from t')).effect).toBe('block');
    expect(await decide(rules, s, 'delete from t where id = 1')).toMatchObject({ effect: 'review', approvers: ['dba', 'team-leads'] });
    expect((await decide(rules, s, "select pg_read_file('/etc/passwd')")).effect).toBe('block');
    expect(await decide(rules, s, 'select * from reports.daily')).toMatchObject({ effect: 'allow', rules: [{ id: 'reporting-reads' }] });
    // all tables must match an allow: the join falls to the default allow-read instead.
    expect(await decide(rules, s, 'select * from reports.daily join hr.salaries using (id)')).toMatchObject({ effect: 'allow', rules: [{ id: 'default:allow-read' }] });
  });

  it('the masking example masks by column and name, with exemptions', async () => {
    const rules = ruleBlock('mask-customer-pii');
    const v = await decide(rules, subject({}), 'select national_id, work_email from customers');
    expect(v.effect).toBe('mask');
    if (v.effect === 'mask') expect(v.masks.columns.map((c) => c.strategy)).toEqual(['redact', 'hash', 'partial']);
    const exempt = await decide(rules, subject({ groups: ['pii-readers'] }), 'select national_id from public.customers');
    expect(exempt).toMatchObject({ effect: 'mask', masks: { columns: [], detectors: [], exempted: [{ rule: 'mask-customer-pii', group: 'pii-readers' }] } });
  });

  it('port forwarding: the example tunnels open for dev on bastions only, the metadata service never, anything else is blocked', async () => {
    const rules = ruleBlock('dev-db-tunnels');
    const fwd = (s: PolicySubject, host: string, port: number) => createPolicyEngine({ rules, classifier }).decide(s, { kind: 'forward', host, port });
    const dev = subject({ groups: ['dev'], connection: 'bastion-eu' });
    expect((await fwd(dev, 'db-7.internal', 5432)).effect).toBe('allow');
    expect((await fwd(subject({ groups: ['dev'] }), 'db-7.internal', 5432)).effect).toBe('block');
    expect(await fwd(dev, '169.254.169.254', 80)).toMatchObject({ effect: 'block', rules: [{ id: 'never-metadata' }] });
    expect(await fwd(dev, 'example.com', 443)).toMatchObject({ effect: 'block', rules: [{ id: 'default:uncovered' }] });
  });

  it('files: secrets never leave, production uploads only under /tmp, /etc changes reviewed, the rest allowed', async () => {
    const rules = ruleBlock('uploads-only-to-tmp');
    const file = (s: PolicySubject, op: 'download' | 'upload' | 'rename', ...paths: string[]) => createPolicyEngine({ rules, classifier }).decide(s, { kind: 'file', op, paths });
    const prod = subject({ connection: 'prod-db' });
    expect(await file(prod, 'download', '/etc/shadow')).toMatchObject({ effect: 'block', rules: [{ id: 'no-shadow' }] });
    expect(await file(prod, 'upload', '/home/u/x')).toMatchObject({ effect: 'block', rules: [{ id: 'uploads-only-to-tmp' }] });
    expect(await file(prod, 'rename', '/tmp/x', '/etc/x')).toMatchObject({ effect: 'block', rules: [{ id: 'uploads-only-to-tmp' }] });
    expect(await file(prod, 'upload', '/tmp/x')).toMatchObject({ effect: 'allow', rules: [{ id: 'default:file-allow' }] });
    expect(await file(subject({ connection: 'staging' }), 'upload', '/etc/motd')).toMatchObject({ effect: 'review', rules: [{ id: 'config-changes-reviewed' }] });
    expect(await file(subject({ connection: 'staging' }), 'download', '/etc/motd')).toMatchObject({ effect: 'allow' });
  });
});
