import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createPostgresClassifier } from '../sql/classifier.ts';
import type { PostgresClassifier } from '../sql/classifier.ts';
import { initSql } from '../sql/parser.ts';
import { createPolicyEngine } from './engine.ts';
import { loadRulesYaml } from './load.ts';
import { sessionSubject } from './subject.ts';
import type { PolicySubject } from './types.ts';

let classifier: PostgresClassifier;
beforeAll(async () => {
  classifier = createPostgresClassifier(await initSql());
});
const subject: PolicySubject = { user: 'alice', groups: [], connection: 'prod', connectionTags: [], at: new Date('2026-01-05T12:00:00Z') };

describe('createPolicyEngine', () => {
  it('classifies SQL and applies rules, then the shipped defaults', async () => {
    const engine = createPolicyEngine({ classifier, rules: loadRulesYaml('- { id: ro, match: { tables: [secrets] }, effect: block }') });
    expect((await engine.decide(subject, { kind: 'sql', dialect: 'postgres', text: 'SELECT 1' })).effect).toBe('allow');
    const v = await engine.decide(subject, { kind: 'sql', dialect: 'postgres', text: 'select * from SECRETS' });
    expect(v).toMatchObject({ effect: 'block', rules: [{ id: 'ro' }] });
    expect(v.statements?.[0]).toMatchObject({ class: 'read', tables: [{ name: 'secrets' }] });
  });

  it('judges EXECUTE by the prepared text the session gives', async () => {
    const engine = createPolicyEngine({ classifier, rules: [] });
    const req = { kind: 'sql', dialect: 'postgres', text: 'EXECUTE p' } as const;
    expect((await engine.decide(subject, req)).effect).toBe('block');
    expect((await engine.decide(subject, { ...req, preparedTexts: new Map([['p', 'PREPARE p AS SELECT 1']]) })).effect).toBe('allow');
  });

  it('uses per-connection defaults', async () => {
    const engine = createPolicyEngine({ classifier, rules: [], connectionDefaults: { prod: loadRulesYaml('- { id: lockdown, effect: block }') } });
    expect((await engine.decide(subject, { kind: 'sql', dialect: 'postgres', text: 'SELECT 1' })).rules[0]!.id).toBe('lockdown');
  });

  it('fails closed: unsupported requests and internal errors block, decide never throws', async () => {
    const engine = createPolicyEngine({ classifier, rules: [] });
    expect((await engine.decide(subject, { kind: 'sql', dialect: 'mysql', text: 'SELECT 1' })).effect).toBe('block');
    expect((await engine.decide(subject, { kind: 'http', method: 'GET', path: '/', headers: {} })).rules[0]!.id).toBe('engine:unsupported');
    expect((await engine.decide(subject, { kind: 'connect' })).effect).toBe('allow');
    const broken = createPolicyEngine({
      rules: [],
      classifier: { classify: () => { throw new Error('boom'); }, stats: { hits: 0, misses: 0, size: 0 } },
    });
    await expect(broken.decide(subject, { kind: 'sql', dialect: 'postgres', text: 'SELECT 1' })).resolves.toMatchObject({ effect: 'block', rules: [{ id: 'engine:error' }] });
    // decideNow, the same verdict without waiting a turn, fails closed the same way.
    expect(broken.decideNow!(subject, { kind: 'sql', dialect: 'postgres', text: 'SELECT 1' })).toMatchObject({ effect: 'block', rules: [{ id: 'engine:error' }] });
    const request = { kind: 'sql', dialect: 'postgres', text: 'DELETE FROM t' } as const;
    expect(engine.decideNow!(subject, request)).toEqual(await engine.decide(subject, request));
  });

  it('answers a memoised verdict for a session subject without asking Object.isFrozen again (a slow runtime call per statement)', () => {
    const engine = createPolicyEngine({ classifier, rules: loadRulesYaml('- { id: ro, match: { tables: [secrets] }, effect: block }') });
    const who = sessionSubject({ now: () => new Date(0) }, { name: 'alice', groups: ['dev'] }, { name: 'prod', tags: [] });
    const request = { kind: 'sql', dialect: 'postgres', text: 'select * from secrets where id = 1' } as const;
    const first = engine.decideNow!(who, request);
    const isFrozen = vi.spyOn(Object, 'isFrozen');
    try {
      expect(engine.decideNow!(who, request)).toBe(first);
      expect(isFrozen).not.toHaveBeenCalled();
    } finally {
      isFrozen.mockRestore();
    }
    // Another subject is still judged on its own.
    expect(engine.decideNow!({ ...subject, connection: 'dev' }, request)).toMatchObject({ effect: 'block', rules: [{ id: 'ro' }] });
  });

  it('judges each of many sessions by its own subject, as they take turns with the same statement shapes', () => {
    const engine = createPolicyEngine({ classifier, rules: loadRulesYaml('- { id: ops, match: { users: [ops0, ops7, ops19] }, effect: block }\n- { id: rest, match: { users: ["*"] }, effect: allow }') });
    const sessions = Array.from({ length: 20 }, (_, i) => sessionSubject({ now: () => new Date(0) }, { name: `ops${i}`, groups: [] }, { name: 'prod', tags: [] }));
    const seen: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const [i, who] of sessions.entries()) {
        const text = round === 1 ? `SELECT * FROM t WHERE id = ${i}` : `SELECT 1 FROM u WHERE id = ${i}`;
        seen.push(`${i}:${engine.decideNow!(who, { kind: 'sql', dialect: 'postgres', text })?.effect}`);
      }
    }
    const once = sessions.map((_, i) => `${i}:${[0, 7, 19].includes(i) ? 'block' : 'allow'}`);
    expect(seen).toEqual([...once, ...once, ...once]);
  });
});
