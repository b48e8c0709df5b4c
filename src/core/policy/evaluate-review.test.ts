import { beforeAll, describe, expect, it } from 'vitest';
import { createPostgresClassifier, type PostgresClassifier } from '../sql/classifier.ts';
import { initSql } from '../sql/parser.ts';
import { evaluate } from './evaluate.ts';
import { rulesSchema } from './rules.ts';
import type { PolicySubject } from './types.ts';

// The review settings of deciding rules: execution windows and justification survive the merge.

let c: PostgresClassifier;
beforeAll(async () => {
  c = createPostgresClassifier(await initSql());
});
const alice: PolicySubject = { user: 'alice', groups: ['dev'], connection: 'prod', connectionTags: [], at: new Date('2026-03-04T10:00:00Z') };
const run = (rs: unknown) => evaluate(rulesSchema.parse(rs), alice, c.classify('DELETE FROM t WHERE id = 1'), []);
const office = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: '09:00-17:00', tz: 'Europe/Paris' };

describe('review settings of the deciding rules', () => {
  it('a rule’s window becomes the verdict’s windows; two rules keep both', () => {
    const one = run([{ id: 'a', match: { kinds: ['DeleteStmt'] }, effect: 'review', review: { window: office, requireJustification: true } }]);
    expect(one).toMatchObject({ effect: 'review', review: { windows: [office], requireJustification: true } });
    const two = run([
      { id: 'a', match: { kinds: ['DeleteStmt'] }, effect: 'review', review: { window: office } },
      { id: 'b', match: { tables: ['t'] }, effect: 'review', review: { window: { hours: '00:00-06:00', tz: 'UTC' } } },
      { id: 'c', match: { tables: ['t'] }, effect: 'review' },
    ]);
    expect(two.effect === 'review' && two.review?.windows).toEqual([office, { hours: '00:00-06:00', tz: 'UTC' }]);
    const none = run([{ id: 'a', match: {}, effect: 'review' }]);
    expect(none.effect === 'review' && none.review).not.toHaveProperty('windows');
  });

  it('rejects a bad window in a review spec', () => {
    const bad = (window: unknown) => () => rulesSchema.parse([{ id: 'a', effect: 'review', review: { window } }]);
    expect(bad({ hours: '9-17', tz: 'UTC' })).toThrow(/hours must look like/);
    expect(bad({ tz: 'Mars/Olympus' })).toThrow(/unknown time zone/);
    expect(bad({ days: ['funday'], tz: 'UTC' })).toThrow();
  });
});
