import { beforeAll, describe, expect, it } from 'vitest';
import { createPostgresClassifier, initSql, type PostgresClassifier } from '../sql/index.ts';
import { statementMatches } from './match.ts';
import type { Rule } from './rules.ts';

let classifier: PostgresClassifier;
beforeAll(async () => {
  classifier = createPostgresClassifier(await initSql());
});

const rule = (over: Partial<Rule>): Rule => ({ id: 'r', match: {}, effect: 'block', ...over }) as Rule;
const first = (sql: string) => classifier.classify(sql)[0]!;

describe('statementMatches', () => {
  it('an unqualified table pattern names the table in any schema: qualifying it does not dodge the rule', () => {
    const r = rule({ match: { tables: ['secrets'] } });
    expect(statementMatches(r, first('select * from secrets'))).toBe(true);
    expect(statementMatches(r, first('select * from public.secrets'))).toBe(true);
    expect(statementMatches(r, first('select * from "public"."secrets"'))).toBe(true);
    expect(statementMatches(r, first('select * from public.not_secrets'))).toBe(false);
  });

  it('a qualified pattern only names that schema', () => {
    const r = rule({ match: { tables: ['app.secrets'] } });
    expect(statementMatches(r, first('select * from app.secrets'))).toBe(true);
    expect(statementMatches(r, first('select * from other.secrets'))).toBe(false);
  });

  it('statement kinds are node types only, never field names', () => {
    expect(first('insert into t select * from u').kinds).not.toContain('selectStmt');
    expect(statementMatches(rule({ effect: 'allow', match: { kinds: ['InsertStmt', 'SelectStmt'] } }), first('insert into t values (1)'))).toBe(true);
  });
});
