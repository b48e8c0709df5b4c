import { beforeAll, describe, expect, it } from 'vitest';
import { createPolicyEngine } from '../../policy/engine.ts';
import { loadRulesYaml } from '../../policy/load.ts';
import type { PolicySubject } from '../../policy/types.ts';
import { createPostgresClassifier } from '../classifier.ts';
import type { PostgresClassifier } from '../classifier.ts';
import { initSql } from '../parser.ts';
import { createMysqlClassifier } from './classifier.ts';

let classifier: PostgresClassifier;
beforeAll(async () => {
  classifier = createPostgresClassifier(await initSql());
});
const subject: PolicySubject = { user: 'alice', groups: ['dev'], connection: 'prod', connectionTags: [], at: new Date('2026-01-05T12:00:00Z') };
const my = (text: string) => ({ kind: 'sql', dialect: 'mysql', text }) as const;

describe('policy engine with the MySQL classifier', () => {
  it('judges MySQL with the shipped defaults', async () => {
    const engine = createPolicyEngine({ classifier, mysqlClassifier: createMysqlClassifier(), rules: [] });
    expect((await engine.decide(subject, my('SELECT * FROM `t`'))).effect).toBe('allow');
    expect((await engine.decide(subject, my('UPDATE t SET a = 1 WHERE id = 1'))).effect).toBe('review');
    expect(await engine.decide(subject, my('/*!50000 DROP TABLE t */'))).toMatchObject({ effect: 'block', rules: [{ id: 'default:block-destructive' }] });
    expect(await engine.decide(subject, my('EXECUTE s'))).toMatchObject({ effect: 'block', rules: [{ id: 'default:block-unknown' }] });
  });

  it('allows LOAD DATA LOCAL INFILE only through a rule that names it', async () => {
    const generic = createPolicyEngine({ classifier, mysqlClassifier: createMysqlClassifier(), rules: loadRulesYaml('- { id: allow-all, match: {}, effect: allow }') });
    const load = my("LOAD DATA LOCAL INFILE 'x.csv' INTO TABLE t");
    // A generic allow does not reach it: the shipped default (review) decides.
    expect(await generic.decide(subject, load)).toMatchObject({ effect: 'review', rules: [{ id: 'default:review-write' }] });
    expect((await generic.decide(subject, my('INSERT INTO t VALUES (1)'))).effect).toBe('allow');
    const named = createPolicyEngine({
      classifier,
      mysqlClassifier: createMysqlClassifier(),
      rules: loadRulesYaml("- { id: allow-all, match: {}, effect: allow }\n- { id: loads, match: { dangerous: ['LOAD DATA LOCAL INFILE'] }, effect: allow }"),
    });
    expect(await named.decide(subject, load)).toMatchObject({ effect: 'allow', rules: [{ id: 'loads' }] });
  });

  it('applies one rule file to both dialects', async () => {
    const rules = loadRulesYaml(`
- { id: no-secrets, match: { tables: [secrets] }, effect: block }
- { id: no-blind-delete, match: { kinds: [DeleteStmt], withoutWhere: true }, effect: block }
- { id: no-files, match: { dangerous: [load_file, pg_read_file] }, effect: block }
`);
    const engine = createPolicyEngine({ classifier, mysqlClassifier: createMysqlClassifier(), rules });
    for (const dialect of ['postgres', 'mysql'] as const) {
      expect((await engine.decide(subject, { kind: 'sql', dialect, text: 'SELECT * FROM app.secrets' })).rules[0]?.id, dialect).toBe('no-secrets');
      expect((await engine.decide(subject, { kind: 'sql', dialect, text: 'DELETE FROM t' })).rules[0]?.id, dialect).toBe('no-blind-delete');
    }
    expect((await engine.decide(subject, my("SELECT LOAD_FILE('/etc/passwd')"))).rules[0]?.id).toBe('no-files');
  });

  it('still blocks MySQL when no MySQL classifier is given', async () => {
    const engine = createPolicyEngine({ classifier, rules: [] });
    expect(await engine.decide(subject, my('SELECT 1'))).toMatchObject({ effect: 'block', rules: [{ id: 'engine:unsupported' }] });
  });
});
