import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { shippedDefaults } from '../../src/core/policy/defaults.ts';
import { evaluate } from '../../src/core/policy/evaluate.ts';
import { createMysqlClassifier } from '../../src/core/sql/mysql/index.ts';
import { riskiest } from '../../src/core/sql/types.ts';

interface Case {
  sql: string;
  class: string;
  verdict: 'allow' | 'review' | 'block';
  note?: string;
}

const corpus = parse(readFileSync(new URL('./mysql-corpus.yaml', import.meta.url), 'utf8')) as Case[];
const subject = { user: 'eve', groups: [], connection: 'prod-mysql', connectionTags: [], at: new Date('2026-01-05T12:00:00Z') };
const classifier = createMysqlClassifier();

describe('MySQL evasion corpus under the shipped defaults', () => {
  it('has at least 40 statements', () => expect(corpus.length).toBeGreaterThanOrEqual(40));

  it.each(corpus.map((c) => [c.note === undefined ? c.sql : `${c.sql} (${c.note})`, c] as const))('%s', (_title, c) => {
    const infos = classifier.classify(c.sql);
    expect(riskiest(infos.map((i) => i.class))).toBe(c.class);
    const verdict = evaluate([], subject, infos, shippedDefaults());
    expect(verdict.effect).toBe(c.verdict);
    if (verdict.effect !== 'allow') expect(verdict.rules.length).toBeGreaterThan(0);
  });
});
