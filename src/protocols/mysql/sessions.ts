import type { AuthorizedTarget } from '../../core/access/index.ts';

/**
 * The live MySQL sessions of one gateway, by the connection id the gateway
 * gave the client: what `KILL <id>` resolves against. One directory per
 * protocol object (per gateway), never module-global.
 */
export interface LiveMysqlSession {
  /** The authorization of the session: its user, and the target a KILL must reach. */
  readonly target: AuthorizedTarget;
  /** The target's own id for the session's upstream connection. */
  readonly targetConnectionId: number;
}

export class SessionDirectory {
  readonly #byId = new Map<number, LiveMysqlSession>();
  #next = 1;

  /** A fresh id for a client's handshake (32-bit, never 0). */
  nextId(): number {
    const id = this.#next;
    this.#next = this.#next >= 0xffffffff ? 1 : this.#next + 1;
    return id;
  }

  /** Makes the session killable by its id; the returned function removes it. */
  add(id: number, s: LiveMysqlSession): () => void {
    this.#byId.set(id, s);
    return () => {
      if (this.#byId.get(id) === s) this.#byId.delete(id);
    };
  }

  get(id: number): LiveMysqlSession | undefined {
    return this.#byId.get(id);
  }
}
