import { createPublicKey, randomBytes, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ed25519PublicKey, ed25519Sign } from './ed25519.ts';

/** Node's own Ed25519 verifier is the oracle: a signature it accepts is a correct one. */
const accepts = (publicKey: Buffer, message: Buffer, sig: Buffer): boolean =>
  verify(null, message, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, format: 'jwk' }), sig);

describe('client_ed25519', () => {
  it('signs scrambles so that a standard Ed25519 verifier accepts them under the password\'s public key', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (password, scramble) => {
        const sig = ed25519Sign(password, Buffer.from(scramble));
        expect(sig).toHaveLength(64);
        expect(accepts(ed25519PublicKey(password), Buffer.from(scramble), sig)).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it('a signature is bound to its password and scramble', () => {
    const scramble = randomBytes(32);
    const sig = ed25519Sign('secret', scramble);
    expect(accepts(ed25519PublicKey('other'), scramble, sig)).toBe(false);
    expect(accepts(ed25519PublicKey('secret'), randomBytes(32), sig)).toBe(false);
  });
});
