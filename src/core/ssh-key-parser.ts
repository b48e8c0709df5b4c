import { createRequire } from 'node:module';
import type ssh2 from 'ssh2';

const require = createRequire(import.meta.url);
let loaded: typeof ssh2.utils | undefined;

/**
 * ssh2's key parser (OpenSSH public keys, private keys with passphrases), loaded at the first
 * key rather than with the gateway: ssh2 costs ~16 MB of RSS, and a gateway without SSH users
 * or targets never needs it. Synchronous (a CommonJS require), like the parser it wraps.
 */
export function parseSshKey(...args: Parameters<typeof ssh2.utils.parseKey>): ReturnType<typeof ssh2.utils.parseKey> {
  loaded ??= (require('ssh2') as typeof ssh2).utils;
  return loaded.parseKey(...args);
}

/**
 * A new ed25519 key pair in OpenSSH format, checked before use. ssh2's
 * `generateKeyPairSync('ed25519')` drops the leading zero byte of the public key
 * about once in 230 pairs (31 bytes where the format has 32), and ssh2 itself then
 * refuses the pair (`Malformed OpenSSH public key`). A gateway host key like that
 * would be persisted and break the SSH listener for good, so a pair is kept only
 * when ssh2 can read both halves back.
 */
export function generateEd25519Pair(comment?: string): { public: string; private: string } {
  loaded ??= (require('ssh2') as typeof ssh2).utils;
  for (let attempt = 0; attempt < 16; attempt++) {
    const pair = loaded.generateKeyPairSync('ed25519', comment === undefined ? {} : { comment });
    if (readable(loaded.parseKey(pair.public)) && readable(loaded.parseKey(pair.private))) return pair;
  }
  throw new Error('ssh2 produced no readable ed25519 key pair in 16 attempts');
}

function readable(parsed: ReturnType<typeof ssh2.utils.parseKey>): boolean {
  return !(parsed instanceof Error) && !Array.isArray(parsed);
}
