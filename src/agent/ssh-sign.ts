import type { ParsedKey } from 'ssh2';

/**
 * The agent's half of an SSH public-key login for a connection whose key it
 * holds: it tells the gateway the public key, and signs the userauth request
 * the gateway's SSH client builds (RFC 4252 §7). The private key never leaves
 * the agent.
 *
 * What it signs is checked first, so a gateway can only obtain signatures of
 * a publickey login of the configured user with this very key: session id,
 * SSH_MSG_USERAUTH_REQUEST, user, "ssh-connection", "publickey", TRUE, the
 * algorithm, the public key, and nothing after. The session id (from the key
 * exchange, which the agent cannot see into) binds the signature to one SSH
 * connection: it cannot be replayed on another.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4252#section-7
 * @see https://www.rfc-editor.org/rfc/rfc8332 (rsa-sha2-256/512)
 */

/** The OpenSSH public key line (`type base64`) of a private key. */
export function publicKeyLine(key: ParsedKey): string {
  return `${key.type} ${key.getPublicSSH().toString('base64')}`;
}

const userauthRequest = 50;
/** RSA keys may sign with these algorithms (and their hash); other keys only with their own type. */
const rsaAlgorithms: Record<string, string> = { 'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512', 'ssh-rsa': 'sha1' };

/** Throws (the gateway is told why) unless `data` is a publickey userauth request of `user` with `key`. */
export function signUserauth(key: ParsedKey, user: string, data: Buffer): Buffer {
  const r = new Reader(data);
  r.string(); // the session id: opaque to the agent
  if (r.byte() !== userauthRequest) throw refuse('it is not a userauth request');
  if (r.text() !== user) throw refuse(`it logs in as another user than "${user}"`);
  if (r.text() !== 'ssh-connection') throw refuse('it asks for another service than ssh-connection');
  if (r.text() !== 'publickey') throw refuse('it is not a publickey login');
  if (r.byte() !== 1) throw refuse('it is not a signed request');
  const algorithm = r.text();
  if (!r.string().equals(key.getPublicSSH())) throw refuse("it names another key than the agent's");
  if (!r.done()) throw refuse('it has trailing bytes');
  const hash = key.type === 'ssh-rsa' ? rsaAlgorithms[algorithm] : algorithm === key.type ? null : undefined;
  if (hash === undefined) throw refuse(`algorithm ${algorithm} does not fit a ${key.type} key`);
  const signature = hash === null ? key.sign(data) : key.sign(data, hash);
  if (signature instanceof Error) throw new Error(`the agent could not sign with its key: ${signature.message}`);
  return signature;
}

function refuse(why: string): Error {
  return new Error(`the agent refuses to sign the SSH login data: ${why}`);
}

/** SSH wire reading (RFC 4251 §5); throws on anything truncated. */
class Reader {
  readonly #b: Buffer;
  #at = 0;

  constructor(b: Buffer) {
    this.#b = b;
  }

  byte(): number {
    if (this.#at >= this.#b.length) throw refuse('it is truncated');
    return this.#b[this.#at++]!;
  }

  string(): Buffer {
    if (this.#at + 4 > this.#b.length) throw refuse('it is truncated');
    const n = this.#b.readUInt32BE(this.#at);
    const start = this.#at + 4;
    if (start + n > this.#b.length) throw refuse('it is truncated');
    this.#at = start + n;
    return this.#b.subarray(start, start + n);
  }

  text(): string {
    return this.string().toString('utf8');
  }

  done(): boolean {
    return this.#at === this.#b.length;
  }
}
