import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock, systemClock } from '../../core/clock.ts';
import type { Identity } from '../../core/identity/types.ts';
import { createPolicyEngine } from '../../core/policy/engine.ts';
import { loadRulesYaml } from '../../core/policy/load.ts';
import type { PolicyEngine } from '../../core/policy/types.ts';
import type { CoreServices } from '../../core/services.ts';
import { createPostgresClassifier, initSql } from '../../core/sql/index.ts';
import { createGatekeeper } from './gatekeeper.ts';

/**
 * `decideNow`, the gatekeeper's answer without a promise: the policy verdict
 * when nothing is to wait for, never a review that must hold or queue a Query
 * (those go to `decide` and the review workflow), and SQL-level PREPAREs
 * remembered as `decide` remembers them.
 */
let policy: PolicyEngine;
beforeAll(async () => {
  // No rule for writes: the shipped default sends them to review; DROP is blocked.
  policy = createPolicyEngine({ classifier: createPostgresClassifier(await initSql()), rules: loadRulesYaml('- { id: no-secrets, match: { tables: [secrets] }, effect: block }') });
});

function gatekeeper() {
  const core = { policy, clock: systemClock } as unknown as CoreServices;
  const who = { user: { id: 'u1', name: 'alice', groups: [] } } as unknown as Identity;
  return createGatekeeper(core, who, { name: 'prod', tags: [] }, () => undefined, new AbortController().signal);
}

describe('createGatekeeper (PostgreSQL) decideNow', () => {
  it('gives allow and block verdicts at once, the same as decide', async () => {
    const gate = gatekeeper();
    for (const text of ['SELECT 1', 'SELECT * FROM secrets', 'DROP TABLE t']) {
      const now = gate.decideNow(text, 'query');
      expect(now).toBeDefined();
      expect(now).toEqual(await gate.decide(text, 'query'));
    }
    expect(gate.decideNow('SELECT * FROM secrets', 'query')).toMatchObject({ effect: 'block', rules: [{ id: 'no-secrets' }] });
  });

  it('leaves a Query that needs review to decide (the hold or queue), but lets a Parse through as review', () => {
    const gate = gatekeeper();
    expect(gate.decideNow('DELETE FROM t WHERE id = 1', 'query')).toBeUndefined();
    expect(gate.decideNow('DELETE FROM t WHERE id = $1', 'parse')).toMatchObject({ effect: 'review' });
  });

  it('asks policy once for a Query it leaves to decide: decide starts from the review verdict decideNow found', async () => {
    let asked = 0;
    const counting = { decideNow: (...a: Parameters<PolicyEngine['decide']>) => (asked++, policy.decideNow!(...a)), decide: (...a: Parameters<PolicyEngine['decide']>) => (asked++, policy.decide(...a)) };
    const core = { policy: counting, clock: systemClock, config: { reviews: {} } } as unknown as CoreServices;
    const gate = createGatekeeper(core, { user: { id: 'u1', name: 'alice', groups: [] } } as unknown as Identity, { name: 'prod', tags: [] }, () => undefined, new AbortController().signal);
    expect(gate.decideNow('DELETE FROM t WHERE id = 1', 'query')).toBeUndefined();
    // The same text: straight on to the review workflow (which this bare core cannot run: its failure is beside the point).
    const held = gate.decide('DELETE FROM t WHERE id = 1', 'query').catch(() => undefined);
    expect(asked).toBe(1);
    await held;
    expect(gate.decideNow('DELETE FROM t WHERE id = 2', 'query')).toBeUndefined();
    // Another text next: decide asks policy for that one (the verdict kept is only for the text it was found for).
    await expect(gate.decide('SELECT 1', 'query')).resolves.toMatchObject({ effect: 'allow' });
    expect(asked).toBe(3);
  });

  it('remembers a SQL PREPARE it allowed, so EXECUTE is judged by what it runs', () => {
    const gate = gatekeeper();
    // Unknown prepared name: fail closed.
    expect(gate.decideNow('EXECUTE p', 'query')).toMatchObject({ effect: 'block' });
    expect(gate.decideNow('PREPARE p AS SELECT 1', 'query')).toMatchObject({ effect: 'allow' });
    expect(gate.decideNow('EXECUTE p', 'query')).toMatchObject({ effect: 'allow' });
    // PREPARE of a write needs review itself (left to decide), so its name stays unknown.
    expect(gate.decideNow('PREPARE w AS DELETE FROM t', 'query')).toBeUndefined();
    expect(gate.decideNow('EXECUTE w', 'query')).toMatchObject({ effect: 'block' });
  });

  it('judges each statement at the time it comes, for rules that look at the clock, within one session', async () => {
    const clock = manualClock(new Date('2026-03-06T12:00:00Z')); // a Friday
    const timed = createPolicyEngine({ classifier: createPostgresClassifier(await initSql()), rules: loadRulesYaml("- { id: weekend, match: { time: { days: [sat, sun], tz: UTC } }, effect: block, message: 'not at weekends' }") });
    const core = { policy: timed, clock } as unknown as CoreServices;
    const gate = createGatekeeper(core, { user: { id: 'u1', name: 'alice', groups: [] } } as unknown as Identity, { name: 'prod', tags: [] }, () => undefined, new AbortController().signal);
    expect(gate.decideNow('SELECT 1', 'query')).toMatchObject({ effect: 'allow' });
    clock.advance(24 * 3600_000); // Saturday
    expect(gate.decideNow('SELECT 1', 'query')).toMatchObject({ effect: 'block', rules: [{ id: 'weekend' }] });
  });

  it('is undefined when the policy cannot answer at once', () => {
    const core = { policy: { decide: async () => ({ effect: 'allow', rules: [] }) }, clock: systemClock } as unknown as CoreServices;
    const gate = createGatekeeper(core, { user: { id: 'u1', name: 'alice', groups: [] } } as unknown as Identity, { name: 'prod', tags: [] }, () => undefined, new AbortController().signal);
    expect(gate.decideNow('SELECT 1', 'query')).toBeUndefined();
  });
});
