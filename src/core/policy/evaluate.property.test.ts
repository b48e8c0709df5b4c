import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPostgresClassifier } from '../sql/classifier.ts';
import { initSql } from '../sql/parser.ts';
import { statementClasses } from '../sql/types.ts';
import type { StatementInfo } from '../sql/types.ts';
import { shippedDefaults } from './defaults.ts';
import { evaluate } from './evaluate.ts';
import { effectRank, effects, rulesSchema } from './rules.ts';
import type { Rule } from './rules.ts';

const sqls = [
  'SELECT 1', 'SELECT * FROM public.users', 'DELETE FROM t', 'UPDATE s.t SET a = 1 WHERE id = 2', 'DROP TABLE x',
  'BEGIN', "COPY t TO PROGRAM 'id'", 'SET ROLE r', 'DO $$ BEGIN END $$', 'SELEC 1', "SELECT pg_read_file('x')",
  'WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d', 'GRANT ALL ON t TO u', 'SELECT app.f(1)', 'EXPLAIN ANALYZE DELETE FROM t',
];
let pool: StatementInfo[][];
beforeAll(async () => {
  const c = createPostgresClassifier(await initSql());
  pool = sqls.map((s) => [...c.classify(s)]);
});

const word = fc.constantFrom('*', 'a*', 'public.*', 'users', 't', 'prod-*', 'dev', 'DropStmt', 'Delete*', 'pg_*', 'COPY PROGRAM', '?', 'x.y');
const globs = fc.option(fc.array(word, { maxLength: 3 }), { nil: undefined });
const matchArb = fc.record(
  {
    users: globs,
    groups: globs,
    connections: globs,
    tags: globs,
    classes: fc.option(fc.subarray([...statementClasses]), { nil: undefined }),
    kinds: globs,
    tables: globs,
    functions: globs,
    dangerous: globs,
    withoutWhere: fc.option(fc.boolean(), { nil: undefined }),
    time: fc.option(fc.record({ days: fc.subarray(['mon', 'sat', 'sun'] as const), hours: fc.constantFrom('00:00-12:00', '22:00-06:00'), tz: fc.constantFrom('UTC', 'Asia/Tokyo') }), { nil: undefined }),
  },
  { requiredKeys: [] },
);
const ruleArb = (effect: fc.Arbitrary<(typeof effects)[number]>) =>
  fc.record({ match: matchArb, effect, approvers: fc.option(fc.array(fc.constantFrom('dba', 'leads')), { nil: undefined }) }).map((r) => ({
    ...r,
    ...(r.effect === 'mask' ? { mask: { columns: [{ name: '*email*' }], detectors: ['card'], exemptGroups: ['dev'] } } : {}),
  }));
const rulesArb = fc.array(ruleArb(fc.constantFrom(...effects)), { maxLength: 6 });
const subjectArb = fc.record({
  user: fc.constantFrom('alice', 'bob'),
  groups: fc.subarray(['dev', 'ops', 'pii']),
  connection: fc.constantFrom('prod-pg', 'dev-pg'),
  connectionTags: fc.subarray(['prod', 'eu']),
  at: fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
});
const withIds = (rs: unknown[]): Rule[] => rulesSchema.parse(rs.map((r, i) => ({ ...(r as object), id: `r${i}` })));

describe('evaluate (property)', () => {
  it('never throws and always names a rule for a non-allow verdict', () => {
    fc.assert(
      fc.property(rulesArb, subjectArb, fc.nat(sqls.length - 1), fc.boolean(), (rs, subject, i, useDefaults) => {
        const v = evaluate(withIds(rs), subject, pool[i]!, useDefaults ? shippedDefaults() : []);
        expect(effects).toContain(v.effect);
        if (v.effect === 'block' || v.effect === 'review') expect(v.rules.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('adding a block rule never makes a verdict less restrictive', () => {
    fc.assert(
      fc.property(rulesArb, ruleArb(fc.constant('block' as const)), subjectArb, fc.array(fc.nat(sqls.length - 1), { minLength: 1, maxLength: 3 }), (rs, extra, subject, idx) => {
        const statements = idx.flatMap((i) => pool[i]!);
        const before = evaluate(withIds(rs), subject, statements, shippedDefaults());
        const after = evaluate(withIds([...rs, extra]), subject, statements, shippedDefaults());
        expect(effectRank[after.effect]).toBeGreaterThanOrEqual(effectRank[before.effect]);
      }),
      { numRuns: 500 },
    );
  });
});
