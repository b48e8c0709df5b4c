import { constants, createHash, publicEncrypt } from 'node:crypto';

/**
 * The client side of MySQL 8's caching_sha2_password, for the gateway's
 * login to a target. First the fast-auth scramble; the server then answers
 * with AuthMoreData: 0x03 (its cache knew the user: OK follows) or 0x04
 * (full authentication: the password itself, in cleartext over TLS, else
 * RSA-OAEP-encrypted with the server's public key, which the gateway asks
 * for with 0x02). Untested against a real MySQL 8 server (the machine runs
 * MariaDB, which has no such plugin): see docs/architecture.md, Known gaps.
 *
 * @see https://dev.mysql.com/doc/dev/mysql-server/latest/page_caching_sha2_authentication_exchanges.html
 */

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

/** XOR(SHA256(pw), SHA256(SHA256(SHA256(pw)) + nonce)); empty for no password. */
export function cachingSha2Scramble(password: string | null, nonce: Buffer): Buffer {
  if (!password) return Buffer.alloc(0);
  const stage1 = sha256(Buffer.from(password, 'utf8'));
  const mix = sha256(sha256(stage1), nonce.subarray(0, 20));
  for (let i = 0; i < stage1.length; i++) stage1[i]! ^= mix[i]!;
  return stage1;
}

/** RSA-OAEP (SHA-1, as the server decrypts) of the NUL-terminated password XORed with the repeated nonce. */
export function encryptPassword(password: string | null, nonce: Buffer, publicKeyPem: Buffer): Buffer {
  const plain = Buffer.from(`${password ?? ''}\0`, 'utf8');
  const salt = nonce.subarray(0, 20);
  for (let i = 0; i < plain.length; i++) plain[i]! ^= salt[i % salt.length]!;
  return publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, plain);
}

const requestPublicKey = 0x02;
const fastAuthOk = 0x03;
const fullAuthNeeded = 0x04;

/**
 * Who computes caching_sha2_password's answers: the gateway from the vaulted
 * password, or the agent that holds it (target-auth.ts). Each may throw to
 * refuse a step (the agent never sends the password itself).
 */
export interface Sha2Answers {
  /** The fast-auth scramble of the 20-byte nonce. */
  sha2Scramble(nonce: Buffer): Promise<Buffer>;
  /** Full authentication over TLS: the NUL-terminated password itself. */
  cleartextPassword(): Promise<Buffer>;
  /** Full authentication in the clear: the password encrypted with the server's public key (PEM). */
  encryptedPassword(nonce: Buffer, publicKeyPem: Buffer): Promise<Buffer>;
}

/** The answers from a password the gateway holds (the vault). */
export function passwordSha2Answers(password: string | null): Sha2Answers {
  return {
    sha2Scramble: async (nonce) => cachingSha2Scramble(password, nonce),
    cleartextPassword: async () => Buffer.from(`${password ?? ''}\0`, 'utf8'),
    encryptedPassword: async (nonce, key) => encryptPassword(password, nonce, key),
  };
}

/**
 * One login's exchange after the AuthSwitchRequest to caching_sha2_password.
 * `secure`: the link to the target is TLS, so the full authentication may
 * send the password itself. answer() throws on anything out of order
 * (fail closed: an unexpected step is never answered with the password).
 */
export class CachingSha2Exchange {
  readonly #answers: Sha2Answers;
  readonly #nonce: Buffer;
  readonly #secure: boolean;
  #state: 'scrambled' | 'awaiting-key' | 'done' = 'scrambled';

  constructor(answers: Sha2Answers, nonce: Buffer, secure: boolean) {
    this.#answers = answers;
    this.#nonce = Buffer.from(nonce);
    this.#secure = secure;
  }

  /** The answer to the switch itself. */
  first(): Promise<Buffer> {
    return this.#answers.sha2Scramble(this.#nonce);
  }

  /** The answer to an AuthMoreData payload (after its 0x01), or undefined when the server's OK or ERR comes next. */
  async answer(data: Buffer): Promise<Buffer | undefined> {
    if (this.#state === 'scrambled' && data.length === 1 && data[0] === fastAuthOk) {
      this.#state = 'done';
      return undefined;
    }
    if (this.#state === 'scrambled' && data.length === 1 && data[0] === fullAuthNeeded) {
      if (this.#secure) {
        this.#state = 'done';
        return this.#answers.cleartextPassword();
      }
      this.#state = 'awaiting-key';
      return Buffer.from([requestPublicKey]);
    }
    if (this.#state === 'awaiting-key') {
      this.#state = 'done';
      return this.#answers.encryptedPassword(this.#nonce, data);
    }
    throw new Error(`unexpected caching_sha2_password step from the target (state ${this.#state})`);
  }
}
