import { beforeAll, describe, expect, it } from 'vitest';
import { createPostgresClassifier } from '../sql/classifier.ts';
import type { PostgresClassifier } from '../sql/classifier.ts';
import { initSql } from '../sql/parser.ts';
import { shippedDefaults } from './defaults.ts';
import { evaluate } from './evaluate.ts';
import { rulesSchema } from './rules.ts';
import type { PolicySubject } from './types.ts';

let c: PostgresClassifier;
beforeAll(async () => {
  c = createPostgresClassifier(await initSql());
});

const alice: PolicySubject = { user: 'alice', groups: ['dev'], connection: 'prod-pg', connectionTags: ['prod'], at: new Date('2026-03-04T10:00:00Z') };
const rules = (r: unknown) => rulesSchema.parse(r);
const run = (sql: string, rs: unknown = [], subject = alice) => evaluate(rules(rs), subject, c.classify(sql), shippedDefaults());

describe('evaluate with the shipped defaults', () => {
  it.each([
    ['SELECT 1', 'allow', 'default:allow-read'],
    ['BEGIN', 'allow', 'default:allow-read'],
    ['INSERT INTO t VALUES (1)', 'review', 'default:review-write'],
    ['DROP TABLE t', 'block', 'default:block-destructive'],
    ['TRUNCATE t', 'block', 'default:block-destructive'],
    ['ALTER SYSTEM SET work_mem = 1', 'block', 'default:block-destructive'],
    ["COPY t TO PROGRAM 'id'", 'block', 'default:block-copy-program'],
    ['SET ROLE postgres', 'block', 'default:block-admin'],
    ['DO $$ BEGIN END $$', 'block', 'default:block-unknown'],
    ['SELEKT 1', 'block', 'default:block-unknown'],
  ])('%s → %s by %s', (sql, effect, rule) => {
    const v = run(sql);
    expect(v.effect).toBe(effect);
    expect(v.rules.map((r) => r.id)).toContain(rule);
  });

  it('takes the most restrictive statement of a multi-statement query and names its rules', () => {
    const v = run('SELECT 1; INSERT INTO t VALUES (1); DROP TABLE t; TRUNCATE u');
    expect(v.effect).toBe('block');
    expect(v.rules.map((r) => r.id)).toEqual(['default:block-destructive']);
    expect(v.rules[0]!.reason).toMatch(/DropStmt/);
    if (v.effect === 'block') expect(v.message).toMatch(/default:block-destructive/);
  });

  it('blocks what no rule and no default covers', () => {
    const v = evaluate([], alice, c.classify('SELECT 1'), []);
    expect(v).toMatchObject({ effect: 'block', rules: [{ id: 'default:uncovered' }] });
  });
});

describe('evaluate with rules', () => {
  it('a matching rule replaces the default for that statement', () => {
    expect(run('INSERT INTO t VALUES (1)', [{ id: 'dev-writes', match: { groups: ['dev'], classes: ['write'] }, effect: 'allow' }]).effect).toBe('allow');
    expect(run('SELECT * FROM secrets', [{ id: 'no-secrets', match: { tables: ['public.secrets'] }, effect: 'block', message: 'no' }]).effect).toBe('block');
  });

  it('most restrictive wins among matching rules, and all deciding rules are named', () => {
    const v = run('DELETE FROM t', [
      { id: 'a', match: { classes: ['write'] }, effect: 'allow' },
      { id: 'b', match: { withoutWhere: true }, effect: 'review', approvers: ['dba'] },
      { id: 'c', match: { tables: ['t'] }, effect: 'review', approvers: ['leads'] },
    ]);
    expect(v).toMatchObject({ effect: 'review', approvers: ['dba', 'leads'] });
    expect(v.rules.map((r) => r.id)).toEqual(['b', 'c']);
  });

  it('an allow rule with tables covers a statement only when every table matches', () => {
    const allow = [{ id: 'reports', match: { tables: ['public.report*'] }, effect: 'allow' }];
    expect(run('UPDATE public.reports SET a = 1 WHERE id = 1', allow).effect).toBe('allow');
    expect(run('UPDATE public.reports SET a = 1 FROM public.users WHERE reports.id = users.id', allow).effect).toBe('review');
    // an unqualified table matches a schema-qualified glob (it may resolve to that schema)
    expect(run('UPDATE reports SET a = 1 WHERE id = 1', allow).effect).toBe('allow');
  });

  it('matches users, connections, tags and kinds by glob', () => {
    const r = [{ id: 'x', match: { users: ['al*'], connections: ['prod-*'], tags: ['prod'], kinds: ['Delete*'] }, effect: 'block' }];
    expect(run('DELETE FROM t WHERE id = 1', r).rules[0]!.id).toBe('x');
    expect(run('DELETE FROM t WHERE id = 1', r, { ...alice, user: 'bob' }).rules[0]!.id).toBe('default:review-write');
    expect(run('EXPLAIN ANALYZE DELETE FROM t WHERE id = 1', r).effect).toBe('block');
  });

  it('matches functions and dangerous operations', () => {
    const r = [{ id: 'files', match: { functions: ['pg_read*'] }, effect: 'review' }];
    expect(run("SELECT pg_catalog.pg_read_file('x')", r)).toMatchObject({ effect: 'review', rules: [{ id: 'files' }] });
    const allowApp = [{ id: 'app-fns', match: { functions: ['app.*'] }, effect: 'allow' }];
    expect(run('SELECT app.report(1)', allowApp).effect).toBe('allow');
    expect(run('SELECT app.report(1), evil()', allowApp).effect).toBe('block');
  });

  it('time windows use the subject time in the rule time zone', () => {
    const r = [{ id: 'off-hours', match: { time: { days: ['sat', 'sun'], tz: 'Europe/Paris' } }, effect: 'block' }];
    expect(run('SELECT 1', r, { ...alice, at: new Date('2026-03-07T12:00:00Z') }).effect).toBe('block'); // Saturday
    expect(run('SELECT 1', r, { ...alice, at: new Date('2026-03-06T22:30:00Z') }).effect).toBe('allow'); // Fri 23:30 in Paris
    expect(run('SELECT 1', r, { ...alice, at: new Date('2026-03-06T23:30:00Z') }).effect).toBe('block'); // Sat 00:30 in Paris, still Friday in UTC
  });

  it('mask rules add masking to an allowed statement and never decide access', () => {
    const r = [{ id: 'pii', match: { connections: ['prod-*'] }, effect: 'mask', mask: { columns: [{ name: '*email*', strategy: 'hash' }], detectors: ['card'], exemptGroups: ['pii-readers'] } }];
    const v = run('SELECT email FROM users', r);
    expect(v.effect).toBe('mask');
    if (v.effect === 'mask') {
      expect(v.masks.columns).toEqual([{ name: '*email*', strategy: 'hash', rule: 'pii' }]);
      expect(v.masks.detectors).toEqual([{ name: 'card', strategy: 'redact', rule: 'pii' }]);
    }
    expect(run('DELETE FROM users', r).effect).toBe('review');
    const exempt = run('SELECT email FROM users', r, { ...alice, groups: ['pii-readers'] });
    expect(exempt).toMatchObject({ effect: 'mask', masks: { columns: [], detectors: [], exempted: [{ rule: 'pii', group: 'pii-readers' }] } });
  });

  it('session-level rules apply when there are no statements', () => {
    const r = rules([{ id: 'no-contractors', match: { groups: ['contractors'] }, effect: 'block' }]);
    expect(evaluate(r, { ...alice, groups: ['contractors'] }, [], shippedDefaults()).effect).toBe('block');
    expect(evaluate(r, alice, [], shippedDefaults()).effect).toBe('allow');
  });
});
