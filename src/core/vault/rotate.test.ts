import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../store/index.ts';
import type { Connection } from '../connections/types.ts';
import { WardenError } from '../errors.ts';
import { newId } from '../ids.ts';
import { createVault } from './seal.ts';
import { rotateMasterKey } from './rotate.ts';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-rotate-'));
  store = await openStore({ url: '', sqlitePath: join(dir, 'warden.db'), pgSchema: 'unused' });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function conn(name: string, sealedSecret: string | null): Connection {
  return { id: newId('con'), name, type: 'postgres', host: 'h', port: 5432, database: 'd', username: 'u', sealedSecret, tls: 'disable', tags: [], agent: null, createdAt: new Date() };
}

describe('rotateMasterKey', () => {
  it('re-seals every secret under the new key and is safe to run again', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = createVault(oldKey);
    await store.connections.create(conn('a', before.seal('pw-a')));
    await store.connections.create(conn('b', before.seal('pw-b')));
    await store.connections.create(conn('trust', null));

    expect(await rotateMasterKey({ connections: store.connections, oldKey, newKey })).toEqual({ resealed: 2 });

    const after = createVault(newKey);
    expect(after.open((await store.connections.byName('a'))!.sealedSecret!)).toBe('pw-a');
    expect(after.open((await store.connections.byName('b'))!.sealedSecret!)).toBe('pw-b');
    const resealedA = (await store.connections.byName('a'))!.sealedSecret!;
    expect(() => before.open(resealedA)).toThrow(WardenError);
    expect((await store.connections.byName('trust'))!.sealedSecret).toBeNull();
    // A second run (e.g. after an interruption) finds nothing left to do.
    expect(await rotateMasterKey({ connections: store.connections, oldKey, newKey })).toEqual({ resealed: 0 });
  });

  it('changes nothing when one secret is under an unknown key', async () => {
    const oldKey = randomBytes(32);
    const sealedA = createVault(oldKey).seal('pw-a');
    await store.connections.create(conn('a', sealedA));
    await store.connections.create(conn('z', createVault(randomBytes(32)).seal('pw-z')));
    const err = await rotateMasterKey({ connections: store.connections, oldKey, newKey: randomBytes(32) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).message).toContain('connection z');
    expect((await store.connections.byName('a'))!.sealedSecret).toBe(sealedA);
  });

  it('refuses to rotate to the same key', async () => {
    const key = randomBytes(32);
    await expect(rotateMasterKey({ connections: store.connections, oldKey: key, newKey: Buffer.from(key) })).rejects.toThrow(/same/);
  });
});
