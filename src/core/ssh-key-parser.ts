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
