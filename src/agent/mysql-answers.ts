import { createPublicKey, type KeyObject } from 'node:crypto';
import { encryptPassword } from '../protocols/mysql/caching-sha2.ts';
import { scrambleAnswer } from '../protocols/mysql/target-auth.ts';
import type { MysqlScramblePlugin } from '../tunnel/index.ts';

/**
 * The agent's answers to a MySQL target's login challenges, with the
 * password it holds: the same functions the gateway uses with a vaulted
 * password (protocols/mysql), so both modes log in identically.
 */

/** Scramble lengths the plugins use: anything else is not a target's challenge. */
const scrambleLength: Record<MysqlScramblePlugin, (n: number) => boolean> = {
  mysql_native_password: (n) => n >= 20,
  caching_sha2_password: (n) => n >= 20,
  client_ed25519: (n) => n === 32,
};

export function answerScramble(plugin: MysqlScramblePlugin, password: string, scramble: Buffer): Buffer {
  if (!scrambleLength[plugin](scramble.length)) throw new Error(`a ${plugin} step with a ${scramble.length}-byte scramble`);
  return scrambleAnswer(plugin, password, scramble);
}

/**
 * caching_sha2_password's full authentication in the clear: the password
 * RSA-OAEP-encrypted to the server's public key — but only to the key this
 * agent pins (`serverPublicKey`, like the mysql client's
 * --server-public-key-path): the gateway forwards the key the target sent,
 * and could otherwise substitute its own and decrypt the password.
 */
export function answerRsaPassword(password: string, pinned: KeyObject | undefined, nonce: Buffer, offeredPem: string, target: string): Buffer {
  // fail closed: without a pinned key the agent cannot tell the server's key from the gateway's.
  if (pinned === undefined) {
    throw new Error(
      `the target ${target} wants caching_sha2_password's full authentication, which sends the password encrypted to the server's RSA key; ` +
        "the agent does that only to a key it pins: add the server's public key (serverPublicKey: <path or PEM>) to its --credentials entry",
    );
  }
  let offered: KeyObject;
  try {
    offered = createPublicKey(offeredPem);
  } catch {
    throw new Error('the public key the gateway forwarded is not an RSA public key');
  }
  if (!offered.equals(pinned)) throw new Error(`the public key of ${target} is not the one the agent pins (serverPublicKey); the agent sends no password to it`);
  if (nonce.length < 20) throw new Error(`a caching_sha2_password step with a ${nonce.length}-byte nonce`);
  return encryptPassword(password, nonce, Buffer.from(pinned.export({ type: 'spki', format: 'pem' })));
}
