import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../store/index.ts';
import { manualClock } from '../clock.ts';
import { WardenError } from '../errors.ts';
import { newId } from '../ids.ts';
import { hashSecret, issueToken, verifyToken, type TokenDeps, type TokenFailure } from './tokens.ts';
import type { User } from './types.ts';

let dir: string;
let store: Store;
let clock: ReturnType<typeof manualClock>;
let deps: TokenDeps;
let alice: User;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-tokens-'));
  store = await openStore({ url: '', sqlitePath: join(dir, 'warden.db'), pgSchema: 'unused' });
  clock = manualClock();
  deps = { users: store.users, tokens: store.tokens, clock };
  alice = await store.users.create({ id: newId('usr'), name: 'alice', groups: ['dba'], createdAt: clock.now() });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Asserts a denial with the one client-visible message, and returns the logged reason. */
async function denied(presented: string, expectedUserName?: string): Promise<TokenFailure> {
  const err = await verifyToken(deps, presented, expectedUserName).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WardenError);
  const w = err as WardenError;
  expect(w.kind).toBe('access_denied');
  const who = expectedUserName === undefined ? '' : ` for user "${expectedUserName}"`;
  expect(w.message).toBe(`invalid token${who}; check the token or ask an admin for a new one`);
  return (w.cause as { reason: TokenFailure }).reason;
}

describe('tokens', () => {
  it('issues a token whose secret is stored only as a hash, and verifies it', async () => {
    const { token, record } = await issueToken(deps, alice.id, { name: 'laptop' });
    expect(token).toMatch(/^wdn_tok_[0-9a-z]+_[A-Za-z0-9_-]{43}$/);
    const secret = token.slice(`wdn_${record.id}_`.length);
    const stored = await store.tokens.byId(record.id);
    expect(stored?.secretHash).toBe(hashSecret(secret));
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored?.expiresAt).toBeNull();

    clock.advance(5000);
    const identity = await verifyToken(deps, token, 'alice');
    expect(identity.user.name).toBe('alice');
    expect(identity.user.groups).toEqual(['dba']);
    expect(identity.tokenId).toBe(record.id);
    expect((await store.tokens.byId(record.id))?.lastUsedAt).toEqual(clock.now());
    expect((await verifyToken(deps, token)).user.id).toBe(alice.id);
  });

  it('expires exactly at createdAt + ttl on the injected clock', async () => {
    const { token } = await issueToken(deps, alice.id, { name: 'short', ttlMs: 60_000 });
    clock.advance(59_999);
    await expect(verifyToken(deps, token, 'alice')).resolves.toBeDefined();
    clock.advance(1);
    expect(await denied(token, 'alice')).toBe('expired');
  });

  it('refuses a revoked token', async () => {
    const { token, record } = await issueToken(deps, alice.id, { name: 'ci' });
    await store.tokens.revoke(record.id, clock.now());
    expect(await denied(token, 'alice')).toBe('revoked');
  });

  it("refuses another user's token, a disabled user, and a removed user", async () => {
    const { token } = await issueToken(deps, alice.id, { name: 'laptop' });
    await store.users.create({ id: newId('usr'), name: 'bob', createdAt: clock.now() });
    expect(await denied(token, 'bob')).toBe('user_mismatch');

    await store.users.update(alice.id, { disabledAt: clock.now() });
    expect(await denied(token, 'alice')).toBe('user_disabled');
    await store.users.update(alice.id, { disabledAt: null });
    await expect(verifyToken(deps, token, 'alice')).resolves.toBeDefined();
    await store.users.remove(alice.id);
    expect(await denied(token, 'alice')).toBe('unknown_token');
  });

  it('refuses tampered, truncated and malformed tokens', async () => {
    const { token, record } = await issueToken(deps, alice.id, { name: 'laptop' });
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect(await denied(token.slice(0, -1) + last, 'alice')).toBe('bad_secret');
    expect(await denied(token.slice(0, -1), 'alice')).toBe('malformed');
    expect(await denied(`${token}x`)).toBe('malformed');
    expect(await denied('')).toBe('malformed');
    expect(await denied('hunter2')).toBe('malformed');
    const otherId = newId('tok');
    expect(await denied(token.replace(record.id, otherId))).toBe('unknown_token');
    // Swapping the secret onto another real token id is a bad secret, not a pass.
    const other = await issueToken(deps, alice.id, { name: 'second' });
    expect(await denied(token.replace(record.id, other.record.id))).toBe('bad_secret');
  });

  it('refuses to issue for unknown or disabled users, empty names and bad lifetimes', async () => {
    await expect(issueToken(deps, 'usr_missing', { name: 'x' })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(issueToken(deps, alice.id, { name: ' ' })).rejects.toMatchObject({ kind: 'bad_request' });
    await expect(issueToken(deps, alice.id, { name: 'x', ttlMs: 0 })).rejects.toMatchObject({ kind: 'bad_request' });
    await expect(issueToken(deps, alice.id, { name: 'x', ttlMs: 1.5 })).rejects.toMatchObject({ kind: 'bad_request' });
    await store.users.update(alice.id, { disabledAt: clock.now() });
    await expect(issueToken(deps, alice.id, { name: 'x' })).rejects.toMatchObject({ kind: 'bad_request' });
  });
});
