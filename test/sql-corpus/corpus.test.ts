import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { shippedDefaults } from '../../src/core/policy/defaults.ts';
import { evaluate } from '../../src/core/policy/evaluate.ts';
import { createPostgresClassifier } from '../../src/core/sql/classifier.ts';
import type { PostgresClassifier } from '../../src/core/sql/classifier.ts';
import { initSql } from '../../src/core/sql/parser.ts';
import { riskiest } from '../../src/core/sql/types.ts';

interface Case {
  sql: string;
  class: string;
  verdict: 'allow' | 'review' | 'block';
  note?: string;
  prepared?: Record<string, string>;
}

const corpus = parse(readFileSync(new URL('./corpus.yaml', import.meta.url), 'utf8')) as Case[];
const subject = { user: 'eve', groups: [], connection: 'prod-pg', connectionTags: [], at: new Date('2026-01-05T12:00:00Z') };

let classifier: PostgresClassifier;
beforeAll(async () => {
  classifier = createPostgresClassifier(await initSql());
});

describe('SQL evasion corpus under the shipped defaults', () => {
  it('has at least 80 statements', () => expect(corpus.length).toBeGreaterThanOrEqual(80));

  it.each(corpus.map((c) => [c.note === undefined ? c.sql : `${c.sql} (${c.note})`, c] as const))('%s', (_title, c) => {
    const prepared = c.prepared === undefined ? undefined : new Map(Object.entries(c.prepared));
    const infos = classifier.classify(c.sql, prepared === undefined ? undefined : { prepared });
    expect(riskiest(infos.map((i) => i.class))).toBe(c.class);
    const verdict = evaluate([], subject, infos, shippedDefaults());
    expect(verdict.effect).toBe(c.verdict);
    if (verdict.effect !== 'allow') expect(verdict.rules.length).toBeGreaterThan(0);
  });
});
