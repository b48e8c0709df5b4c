import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WardenError } from '../errors.ts';
import { createVault, keyIdOf, sealedKeyId } from './seal.ts';

const key = Buffer.alloc(32, 7);

function expectInternal(fn: () => unknown, secret?: string): WardenError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(WardenError);
  const err = caught as WardenError;
  expect(err.kind).toBe('internal');
  if (secret !== undefined) expect(err.message).not.toContain(secret);
  return err;
}

describe('vault', () => {
  it('round-trips any string, including empty and non-ASCII', () => {
    const vault = createVault(key);
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => vault.open(vault.seal(s)) === s));
    expect(vault.open(vault.seal(''))).toBe('');
  });

  it('writes the documented format with a fresh IV every time', () => {
    const vault = createVault(key);
    const a = vault.seal('hunter2');
    const b = vault.seal('hunter2');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1:[0-9a-f]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(a).not.toContain('hunter2');
    expect(vault.keyId).toBe(keyIdOf(key));
    expect(sealedKeyId(a)).toBe(vault.keyId);
    expect(sealedKeyId('plain')).toBeUndefined();
  });

  it('detects tampering with any part of the sealed value', () => {
    const vault = createVault(key);
    const sealed = vault.seal('s3cret-password');
    const parts = sealed.split(':');
    for (const i of [2, 3, 4]) {
      const bytes = Buffer.from(parts[i]!, 'base64url');
      bytes[0] = bytes[0]! ^ 1;
      const tampered = [...parts];
      tampered[i] = bytes.toString('base64url');
      expectInternal(() => vault.open(tampered.join(':')), 's3cret');
    }
    expectInternal(() => vault.open(sealed.slice(0, -2)), 's3cret');
    expectInternal(() => vault.open(`v2${sealed.slice(2)}`));
    expectInternal(() => vault.open('not sealed at all'));
  });

  it('refuses to open with the wrong key, naming both key ids', () => {
    const sealed = createVault(key).seal('s3cret');
    const other = createVault(randomBytes(32));
    const err = expectInternal(() => other.open(sealed), 's3cret');
    expect(err.message).toContain(keyIdOf(key));
    expect(err.message).toContain(other.keyId);
    // Even with the header forged to the other key's id, GCM authentication fails.
    const forged = sealed.replace(keyIdOf(key), other.keyId);
    expectInternal(() => other.open(forged), 's3cret');
  });

  it('rejects a master key that is not 32 bytes', () => {
    expect(() => createVault(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
