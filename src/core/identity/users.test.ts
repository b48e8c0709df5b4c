import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../store/index.ts';
import { manualClock } from '../clock.ts';
import { newId } from '../ids.ts';
import { verifyToken, type TokenDeps } from './tokens.ts';
import { ensureBootstrapAdmin } from './users.ts';

let dir: string;
let store: Store;
let deps: TokenDeps;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-users-'));
  store = await openStore({ url: '', sqlitePath: join(dir, 'warden.db'), pgSchema: 'unused' });
  deps = { users: store.users, tokens: store.tokens, clock: manualClock() };
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ensureBootstrapAdmin', () => {
  it('creates an admin with a working token on an empty store, once', async () => {
    const first = await ensureBootstrapAdmin(deps);
    expect(first?.user).toMatchObject({ name: 'admin', role: 'admin' });
    const identity = await verifyToken(deps, first!.token, 'admin');
    expect(identity.user.role).toBe('admin');
    expect(await ensureBootstrapAdmin(deps)).toBeUndefined();
    expect(await store.users.list()).toHaveLength(1);
  });

  it('does nothing when any user exists, whatever their role', async () => {
    await store.users.create({ id: newId('usr'), name: 'someone', createdAt: new Date() });
    expect(await ensureBootstrapAdmin(deps, 'root')).toBeUndefined();
    expect(await store.users.byName('root')).toBeUndefined();
  });

  it('uses the given name', async () => {
    expect((await ensureBootstrapAdmin(deps, 'root'))?.user.name).toBe('root');
  });
});
