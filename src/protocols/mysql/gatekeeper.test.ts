import { describe, expect, it } from 'vitest';
import { manualClock, systemClock } from '../../core/clock.ts';
import { createPolicyEngine } from '../../core/policy/engine.ts';
import { ruleSchema } from '../../core/policy/rules.ts';
import { createMysqlClassifier } from '../../core/sql/mysql/index.ts';
import { createGatekeeper, extractJustification } from './gatekeeper.ts';

describe('justification comments (MySQL rules)', () => {
  it('takes a leading comment and reviews the rest', () => {
    expect(extractJustification('/* justification: INC-1  fix */ delete from t where id = 1')).toEqual({ justification: 'INC-1 fix', statement: 'delete from t where id = 1' });
  });

  it('ends the comment at the first */ (no nesting in MySQL), so hidden code stays in the statement', () => {
    const r = extractJustification('/* justification: x /* */ drop table t; -- */ select 1');
    expect(r.justification).toBe('x /*');
    expect(r.statement).toBe('drop table t; -- */ select 1');
  });

  it('never takes executable comments, later comments or empty ones', () => {
    for (const text of ['/*! justification: x */ drop table t', '/*M! justification: x */ drop table t', 'delete from t /* justification: x */', '/* justification:   */ delete from t']) {
      expect(extractJustification(text)).toEqual({ justification: null, statement: text });
    }
  });
});

describe('the session subject', () => {
  it('judges each statement at the clock time it is decided, though the subject is made once per session', async () => {
    const rules = [
      { id: 'db', match: { connections: ['db'] }, effect: 'allow' },
      { id: 'evenings', match: { connections: ['db'], time: { hours: '18:00-24:00', tz: 'UTC' } }, effect: 'block' },
    ].map((r) => ruleSchema.parse(r));
    const engine = createPolicyEngine({ rules, classifier: {} as never, mysqlClassifier: createMysqlClassifier() });
    const clock = manualClock(new Date('2026-01-05T10:00:00Z'));
    const core = { policy: engine, clock, log: { child: () => ({ info: () => {} }) } } as never;
    const who = { user: { id: 'u1', name: 'ann', groups: ['dev'] }, tokenId: 't' } as never;
    const gate = createGatekeeper(core, who, { name: 'db', tags: [] }, new AbortController().signal);
    expect(gate.decideNow('select 1', 'query')?.effect).toBe('allow');
    clock.advance(9 * 3600_000); // 19:00
    expect(gate.decideNow('select 1', 'query')?.effect).toBe('block');
    expect((await gate.decide('select 1', 'query')).effect).toBe('block');
  });
});

describe('a query held for review', () => {
  it('asks policy once: decide starts from the review verdict decideNow found for the same text', async () => {
    // No rules: the shipped defaults send writes to review.
    const engine = createPolicyEngine({ rules: [], classifier: {} as never, mysqlClassifier: createMysqlClassifier() });
    let asked = 0;
    const policy = { decideNow: (...a: Parameters<typeof engine.decide>) => (asked++, engine.decideNow!(...a)), decide: (...a: Parameters<typeof engine.decide>) => (asked++, engine.decide(...a)) };
    const core = { policy, clock: systemClock, log: { child: () => ({ info: () => {} }) } } as never;
    const who = { user: { id: 'u1', name: 'ann', groups: [] }, tokenId: 't' } as never;
    const gate = createGatekeeper(core, who, { name: 'db', tags: [] }, new AbortController().signal);
    expect(gate.decideNow('delete from t where id = 1', 'query')).toBeUndefined();
    // Straight on to the review workflow (which this bare core cannot run: its failure is beside the point).
    const held = gate.decide('delete from t where id = 1', 'query').catch(() => undefined);
    expect(asked).toBe(1);
    await held;
    // Another text after a kept one: asked (what was kept is only for the text it was found for).
    expect(gate.decideNow('delete from t where id = 2', 'query')).toBeUndefined();
    expect((await gate.decide('select 1', 'query')).effect).toBe('allow');
    expect(asked).toBe(3);
  });
});
