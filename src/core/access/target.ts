import { decodeSecret } from '../connections/secret.ts';
import type { Connection } from '../connections/types.ts';
import type { Identity } from '../identity/types.ts';
import type { Vault } from '../vault/types.ts';

/**
 * Only `authorizeSession` holds this key, so only it can mint an
 * AuthorizedTarget: a protocol that wants to open an upstream must have been
 * through the one door. (Not exported from the folder's index.)
 */
export const mintKey: unique symbol = Symbol('AuthorizedTarget');

/** The credential to present to the target, decrypted at the moment of use. */
export interface TargetCredential {
  username: string;
  /** null when the target needs none (trust), or when the credential is a key. */
  password: string | null;
  /** SSH: a private key (OpenSSH/PEM text) instead of a password, with its passphrase if it has one. */
  privateKey?: string;
  passphrase?: string;
}

/**
 * Proof that a user may open a session to a connection: the only value that
 * lets a protocol open an upstream. Carries the session id under which the
 * session is recorded.
 */
export class AuthorizedTarget {
  readonly sessionId: string;
  readonly identity: Identity;
  readonly connection: Omit<Connection, 'sealedSecret'>;
  readonly #sealedSecret: string | null;
  readonly #vault: Vault;

  constructor(key: typeof mintKey, init: { sessionId: string; identity: Identity; connection: Connection; vault: Vault }) {
    if (key !== mintKey) throw new TypeError('AuthorizedTarget can only be minted by core/access');
    const { sealedSecret, ...connection } = init.connection;
    this.sessionId = init.sessionId;
    this.identity = init.identity;
    this.connection = connection;
    this.#sealedSecret = sealedSecret;
    this.#vault = init.vault;
  }

  /** Decrypts the target credential. Call it right before use and drop the result after. */
  credential(): TargetCredential {
    const username = this.connection.username;
    if (this.#sealedSecret === null) return { username, password: null };
    const secret = decodeSecret(this.#vault.open(this.#sealedSecret));
    if ('password' in secret) return { username, password: secret.password };
    return { username, password: null, ...secret };
  }

  /** Never serialise the secret, even by accident. */
  toJSON() {
    return { sessionId: this.sessionId, user: this.identity.user.name, connection: this.connection.name };
  }
}
