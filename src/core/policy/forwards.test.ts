import { beforeAll, describe, expect, it } from 'vitest';
import { createPostgresClassifier, type PostgresClassifier } from '../sql/classifier.ts';
import { initSql } from '../sql/parser.ts';
import { createPolicyEngine } from './engine.ts';
import { loadRulesYaml } from './load.ts';
import type { PolicySubject } from './types.ts';

let classifier: PostgresClassifier;
beforeAll(async () => {
  classifier = createPostgresClassifier(await initSql());
});
const alice: PolicySubject = { user: 'alice', groups: ['dev'], connection: 'box', connectionTags: [], at: new Date('2026-01-05T12:00:00Z') };
const bob: PolicySubject = { ...alice, user: 'bob', groups: [] };
const engine = (yaml: string) => createPolicyEngine({ classifier, rules: loadRulesYaml(yaml) });
const forward = (host: string, port: number) => ({ kind: 'forward' as const, host, port });

const rules = `
- id: everything-else
  effect: allow
- id: dev-databases
  match: { groups: [dev], forwards: ['db-*.internal:5432', '10.0.0.*:*'] }
  effect: allow
- id: no-metadata
  match: { forwards: ['169.254.169.254:*'] }
  effect: block
  message: the cloud metadata service is off limits
`;

describe('forward policy', () => {
  it('denies by default: a rule without `forwards:` (even allow-everything) never opens a tunnel', async () => {
    const v = await engine(rules).decide(alice, forward('example.com', 443));
    expect(v).toMatchObject({ effect: 'block', rules: [{ id: 'default:uncovered' }] });
    expect((await engine('[{ id: all, effect: allow }]').decide(alice, forward('127.0.0.1', 22))).effect).toBe('block');
  });

  it('allows the named destinations (host:port globs, case-insensitive) to the named subjects only', async () => {
    const e = engine(rules);
    expect(await e.decide(alice, forward('DB-1.internal', 5432))).toMatchObject({ effect: 'allow', rules: [{ id: 'dev-databases' }] });
    expect((await e.decide(alice, forward('10.0.0.7', 8080))).effect).toBe('allow');
    expect((await e.decide(alice, forward('db-1.internal', 5433))).effect).toBe('block');
    expect((await e.decide(bob, forward('db-1.internal', 5432))).effect).toBe('block');
  });

  it('a block rule on a destination names itself and its message', async () => {
    const v = await engine(rules).decide(alice, forward('169.254.169.254', 80));
    expect(v).toMatchObject({ effect: 'block', rules: [{ id: 'no-metadata' }], message: expect.stringContaining('metadata service') });
  });

  it('IPv6 destinations are bracketed, so a port glob cannot be fooled by the colons', async () => {
    const e = engine(`[{ id: v6, match: { forwards: ['[::1]:8080'] }, effect: allow }]`);
    expect((await e.decide(alice, forward('::1', 8080))).effect).toBe('allow');
    expect((await e.decide(alice, forward('::1', 80))).effect).toBe('block');
  });

  it('-R is judged on its bind address by `remote:` globs only; -L globs (even `*`) never open a listener', async () => {
    const remote = (host: string, port: number) => ({ kind: 'forward' as const, host, port, remote: true });
    const e = engine(`
- id: any-destination
  match: { forwards: ['*'] }
  effect: allow
- id: callbacks
  match: { users: [alice], forwards: ['REMOTE:localhost:80*'] }
  effect: allow
`);
    expect(await e.decide(alice, remote('localhost', 8022))).toMatchObject({ effect: 'allow', rules: [{ id: 'callbacks' }] });
    expect(await e.decide(alice, remote('0.0.0.0', 8022))).toMatchObject({ effect: 'block', rules: [{ id: 'default:uncovered' }] });
    expect((await e.decide(bob, remote('localhost', 8022))).effect).toBe('block');
    expect((await engine(rules).decide(alice, remote('10.0.0.7', 80))).effect).toBe('block');
    // A `remote:` glob is no -L destination.
    const onlyRemote = engine(`[{ id: r, match: { forwards: ['remote:*'] }, effect: allow }]`);
    expect((await onlyRemote.decide(alice, forward('localhost', 8022))).effect).toBe('block');
    expect((await onlyRemote.decide(alice, remote('localhost', 8022))).effect).toBe('allow');
  });

  it('a forwards rule judges nothing else: not SQL, not commands, not files, not the session', async () => {
    const e = engine(`
- id: fwd-block-all
  match: { forwards: ['*'] }
  effect: block
- id: all
  effect: allow
`);
    expect((await e.decide(alice, { kind: 'sql', dialect: 'postgres', text: 'SELECT 1' })).effect).toBe('allow');
    expect((await e.decide(alice, { kind: 'command', line: 'ls', interactive: false })).effect).toBe('allow');
    expect((await e.decide(alice, { kind: 'connect' })).effect).toBe('allow');
    expect((await e.decide(alice, { kind: 'file', op: 'download', paths: ['/etc/hosts'] })).effect).toBe('allow');
  });
});
