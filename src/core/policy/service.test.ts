import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store, type StoreOptions } from '../../store/index.ts';
import { storeBackends } from '../../store/testing.ts';
import { manualClock } from '../clock.ts';
import { WardenError } from '../errors.ts';
import { createPostgresClassifier, type PostgresClassifier } from '../sql/classifier.ts';
import { initSql } from '../sql/parser.ts';
import { loadRulesYaml } from './load.ts';
import { createPolicyService, type PolicyService } from './service.ts';
import type { PolicySubject } from './types.ts';

const alice: PolicySubject = { user: 'alice', groups: ['dev'], connection: 'prod-pg', connectionTags: ['prod'], at: new Date('2026-03-04T10:00:00Z') };
const configRules = loadRulesYaml('- { id: cfg-no-audit, match: { tables: [audit_log] }, effect: block, message: audit log is append-only }');

const blockSecrets = `rules:
  - id: no-secrets
    match: { tables: [secrets] }
    effect: block
    message: secrets are off limits
`;

let classifier: PostgresClassifier;
beforeAll(async () => {
  classifier = createPostgresClassifier(await initSql());
});

async function rejection(p: Promise<unknown>): Promise<WardenError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WardenError);
  return err as WardenError;
}

const backends = storeBackends;

describe.each(backends)('policy service over a $name store', (backend) => {
  let opts: StoreOptions;
  let cleanup: () => Promise<void>;
  let store: Store;
  let svc: PolicyService;
  const clock = manualClock(new Date('2026-03-04T09:00:00Z'));
  const make = (s: Store) => createPolicyService({ classifier, configRules, repo: s.policy, clock });
  const effectOf = async (service: PolicyService, sql: string) => (await service.decide(alice, { kind: 'sql', dialect: 'postgres', text: sql })).effect;

  beforeAll(async () => {
    ({ opts, cleanup } = await backend.setup());
    store = await openStore(opts);
    svc = await make(store);
  });
  afterAll(async () => {
    await store?.close();
    await cleanup?.();
  });

  it('starts with the config rules only, then apply changes decisions', async () => {
    expect(svc.current()).toMatchObject({ stored: [], yaml: undefined, version: undefined, problem: undefined });
    expect(svc.current().config.map((r) => r.id)).toEqual(['cfg-no-audit']);
    expect(await effectOf(svc, 'SELECT * FROM secrets')).toBe('allow');
    expect(await effectOf(svc, 'SELECT * FROM audit_log')).toBe('block');

    clock.advance(60_000);
    expect(await svc.apply(blockSecrets, 'root')).toEqual({ rules: 1, version: 1 });
    const v = await svc.decide(alice, { kind: 'sql', dialect: 'postgres', text: 'select s.* from Secrets s where s.id = 1' });
    expect(v).toMatchObject({ effect: 'block', rules: [{ id: 'no-secrets' }] });
    expect(await effectOf(svc, 'SELECT * FROM audit_log')).toBe('block');
    expect(svc.current()).toMatchObject({ yaml: blockSecrets, version: 1, updatedBy: 'root', updatedAt: new Date('2026-03-04T09:01:00Z') });
    expect(await store.policy.get()).toMatchObject({ yaml: blockSecrets, version: 1, updatedBy: 'root' });
  });

  it('rejects a bad file whole, with the line and reason, and changes nothing', async () => {
    const bad = `rules:
  - id: allow-secrets
    match: { tables: [secrets] }
    effect: allow
  - id: typo
    match: { tabels: [x] }
    effect: block
`;
    const err = await rejection(svc.apply(bad, 'mallory'));
    expect(err.kind).toBe('bad_request');
    expect(err.message).toMatch(/line 6 \(rule "typo"\).*tabels/);
    expect(err.message).toMatch(/none of its rules were applied/);
    expect(svc.current()).toMatchObject({ version: 1, updatedBy: 'root' });
    expect(await store.policy.get()).toMatchObject({ version: 1 });
    expect(await effectOf(svc, 'SELECT * FROM secrets')).toBe('block');

    const notYaml = await rejection(svc.apply('rules:\n  - id: [oops\n', 'mallory'));
    expect(notYaml.message).toMatch(/line \d+: not valid YAML/);
  });

  it('rejects ids the configuration uses or Warden reserves, pointing at the id', async () => {
    const dup = await rejection(svc.apply('- id: mine\n  effect: allow\n- id: cfg-no-audit\n  effect: allow\n', 'root'));
    expect(dup.message).toMatch(/line 3 \(rule "cfg-no-audit"\).*gateway configuration/);
    const reserved = await rejection(svc.apply('rules:\n  - { id: "default:allow-read", effect: allow }\n', 'root'));
    expect(reserved.message).toMatch(/line 2 .*reserves/);
    expect(svc.current().version).toBe(1);
  });

  it('tests a statement against the current rules or a candidate file, without applying it', async () => {
    expect(await svc.test(alice, 'SELECT * FROM secrets')).toMatchObject({ effect: 'block', rules: [{ id: 'no-secrets' }] });
    const candidate = '- { id: secrets-for-dev, match: { groups: [dev], tables: [secrets] }, effect: allow }';
    expect(await svc.test(alice, 'SELECT * FROM secrets', candidate)).toMatchObject({ effect: 'allow', rules: [{ id: 'secrets-for-dev' }] });
    await expect(svc.test(alice, 'SELECT 1', '- { id: x }')).rejects.toThrow(/line 1/);
    expect(svc.current().version).toBe(1);
    expect(await effectOf(svc, 'SELECT * FROM secrets')).toBe('block');
  });

  it('survives a reopen, and another replica picks up a change on refresh', async () => {
    await store.close();
    store = await openStore(opts);
    const reopened = await make(store);
    expect(reopened.current()).toMatchObject({ version: 1, yaml: blockSecrets, updatedBy: 'root' });
    expect(await effectOf(reopened, 'SELECT * FROM secrets')).toBe('block');

    const replica = await make(store);
    expect(await replica.refresh()).toBe(false);
    await reopened.apply('rules: []', 'root');
    expect(await effectOf(replica, 'SELECT * FROM secrets')).toBe('block');
    expect(await replica.refresh()).toBe(true);
    expect(await effectOf(replica, 'SELECT * FROM secrets')).toBe('allow');
    expect(replica.current()).toMatchObject({ version: 2, stored: [] });
    svc = reopened;
  });

  it('serialises concurrent applies: the engine ends on the version the store holds', async () => {
    const docs = ['a', 'b', 'c', 'd'].map((id) => `- { id: ${id}, match: { tables: [t_${id}] }, effect: block }`);
    await Promise.all(docs.map((d) => svc.apply(d, 'root')));
    const latest = await store.policy.get();
    expect(svc.current()).toMatchObject({ version: latest!.version, yaml: latest!.yaml });
    expect(latest!.version).toBe(6);
  });

  it('fails closed on a stored document that no longer validates, until a fixed one is applied', async () => {
    await store.policy.put({ yaml: '- { id: old, effect: maybe }', updatedAt: clock.now(), updatedBy: 'old-version' });
    const broken = await make(store);
    expect(broken.current().problem).toMatch(/stored policy version 7 line 1/);
    const v = await broken.decide(alice, { kind: 'sql', dialect: 'postgres', text: 'SELECT 1' });
    expect(v).toMatchObject({ effect: 'block', rules: [{ id: 'policy:invalid' }] });
    expect((await broken.decide(alice, { kind: 'connect' })).effect).toBe('block');
    await broken.apply(blockSecrets, 'root');
    expect(broken.current().problem).toBeUndefined();
    expect(await effectOf(broken, 'SELECT 1')).toBe('allow');
  });
});
