import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../store/index.ts';
import { manualClock } from '../clock.ts';
import { newId } from '../ids.ts';
import { issueTokenFor, machineGroup, personTokenTtlMs } from './machine.ts';
import { verifyToken, type TokenDeps } from './tokens.ts';
import type { User } from './types.ts';

let dir: string;
let store: Store;
let clock: ReturnType<typeof manualClock>;
let deps: TokenDeps;
let person: User;
let robot: User;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-machine-'));
  store = await openStore({ url: '', sqlitePath: join(dir, 'warden.db'), pgSchema: 'unused' });
  clock = manualClock();
  deps = { users: store.users, tokens: store.tokens, clock };
  person = await store.users.create({ id: newId('usr'), name: 'alice', groups: ['dba'], createdAt: clock.now() });
  robot = await store.users.create({ id: newId('usr'), name: 'ci-deploy', groups: [machineGroup, 'deploy'], createdAt: clock.now() });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('issueTokenFor', () => {
  it("gives a person's token 12 hours unless told otherwise", async () => {
    const { token, record } = await issueTokenFor(deps, person, { name: 'laptop', kind: 'person' });
    expect(record.expiresAt!.getTime() - record.createdAt.getTime()).toBe(personTokenTtlMs);
    const short = await issueTokenFor(deps, person, { name: 'quick', kind: 'person', ttlMs: 60_000 });
    expect(short.record.expiresAt!.getTime() - short.record.createdAt.getTime()).toBe(60_000);
    clock.advance(personTokenTtlMs);
    await expect(verifyToken(deps, token)).rejects.toMatchObject({ kind: 'access_denied' });
  });

  it('gives a machine a token that lives until revoked, carrying its own groups', async () => {
    const { token, record } = await issueTokenFor(deps, robot, { name: 'ci', kind: 'machine' });
    expect(record.expiresAt).toBeNull();
    clock.advance(400 * 24 * 60 * 60_000);
    expect((await verifyToken(deps, token)).user).toMatchObject({ name: 'ci-deploy', groups: [machineGroup, 'deploy'] });
    await store.tokens.revoke(record.id, clock.now());
    await expect(verifyToken(deps, token)).rejects.toMatchObject({ kind: 'access_denied' });
  });

  it('honours an explicit ttl on a machine token', async () => {
    const { record } = await issueTokenFor(deps, robot, { name: 'ci', kind: 'machine', ttlMs: 3_600_000 });
    expect(record.expiresAt!.getTime() - record.createdAt.getTime()).toBe(3_600_000);
  });

  it('refuses a machine token to a person, saying how to make a machine identity', async () => {
    await expect(issueTokenFor(deps, person, { name: 'ci', kind: 'machine' })).rejects.toMatchObject({
      kind: 'bad_request',
      message: expect.stringContaining('alice is not a machine identity'),
    });
    expect(await store.tokens.listForUser(person.id)).toEqual([]);
  });
});
