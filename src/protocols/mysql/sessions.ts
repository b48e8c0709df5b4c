import { randomInt } from 'node:crypto';
import type { AuthorizedTarget } from '../../core/access/index.ts';
import type { KillScope } from '../../core/events.ts';

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
  /** Ends the session's running statement or the whole session on its target; throws when the target refuses or is unreachable. */
  kill(scope: KillScope): Promise<void>;
}

export class SessionDirectory {
  readonly #byId = new Map<number, LiveMysqlSession>();
  /** Ids handed to a client and not yet released: a session is listed only after its login, but its id is taken from the greeting on. */
  readonly #taken = new Set<number>();
  readonly #random: () => number;

  /** `random`: a candidate id in [1, 2³²); injectable so tests can force collisions. */
  constructor(random: () => number = () => randomInt(1, 2 ** 32)) {
    this.#random = random;
  }

  /**
   * A fresh id for a client's handshake: random, non-zero, 32-bit (the
   * greeting's connection id and what KILL takes), never one a live
   * connection here holds; `release` gives it back when the connection ends.
   * Random rather than counted so that replicas, which do not coordinate,
   * do not all hand out 1, 2, 3…: a KILL sent to another replica then finds
   * the one session with its id. Two live sessions on different replicas
   * share an id with probability ~n²/2³³ for n live sessions (about 1 in
   * 10,000 for 1,000), and even then a KILL reaches only the asking user's
   * own session.
   */
  nextId(): number {
    for (;;) {
      const id = this.#random();
      if (this.#taken.has(id)) continue;
      this.#taken.add(id);
      return id;
    }
  }

  release(id: number): void {
    this.#taken.delete(id);
    this.#byId.delete(id);
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
