import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { WardenError } from '../errors.ts';
import type { Vault } from './types.ts';

const version = 'v1';
const ivBytes = 12;
const tagBytes = 16;
export const masterKeyBytes = 32;

/** Names a key without revealing it: the first 8 hex digits of its SHA-256. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** The key id a sealed value names, or undefined when it is not a v1 sealed value. */
export function sealedKeyId(sealed: string): string | undefined {
  const parts = sealed.split(':');
  return parts.length === 5 && parts[0] === version ? parts[1] : undefined;
}

/**
 * AES-256-GCM with a random 12-byte IV per value. The `v1:<keyId>` header is
 * authenticated data, so changing any part of a sealed string makes open() fail.
 */
export function createVault(masterKey: Buffer): Vault {
  if (masterKey.length !== masterKeyBytes) {
    throw new WardenError('bad_request', `the vault master key must be ${masterKeyBytes} bytes, got ${masterKey.length}`);
  }
  const key = Buffer.from(masterKey); // a private copy: the caller may wipe or reuse its buffer
  const keyId = keyIdOf(key);
  const header = `${version}:${keyId}`;

  return {
    keyId,
    seal(plaintext: string): string {
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
      cipher.setAAD(Buffer.from(header));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [header, iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join(':');
    },
    open(sealed: string): string {
      const parts = sealed.split(':');
      if (parts.length !== 5 || parts[0] !== version) {
        // fail closed: an unknown format is never guessed at.
        throw new WardenError('internal', 'a stored secret is not in the vault format (v1:…); re-enter the connection secret');
      }
      const [, sealedKey, ivText, tagText, dataText] = parts as [string, string, string, string, string];
      if (sealedKey !== keyId) {
        throw new WardenError(
          'internal',
          `a stored secret was sealed under master key ${sealedKey} but the gateway holds key ${keyId}; restore that key or rotate with the old key`,
        );
      }
      const iv = Buffer.from(ivText, 'base64url');
      const tag = Buffer.from(tagText, 'base64url');
      try {
        if (iv.length !== ivBytes || tag.length !== tagBytes) throw new Error('bad iv or tag length');
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
        decipher.setAAD(Buffer.from(`${version}:${sealedKey}`));
        decipher.setAuthTag(tag);
        const plain = Buffer.concat([decipher.update(Buffer.from(dataText, 'base64url')), decipher.final()]);
        return plain.toString('utf8');
      } catch (err) {
        // fail closed: a value that does not authenticate is never returned, even partly.
        throw new WardenError('internal', 'a stored secret failed to decrypt (corrupt or tampered); re-enter the connection secret', {
          cause: err,
        });
      }
    },
  };
}
