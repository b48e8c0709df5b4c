/**
 * Registry of the sessions open on this gateway replica, so they can be
 * listed and killed. A protocol registers a session with a `kill` callback
 * that ends it in the client's own wire format.
 */
export interface LiveSession {
  id: string;
  user: string;
  connection: string;
  protocol: string;
  startedAt: Date;
  /** The token the session authenticated with, so revoking it ends the session. */
  tokenId?: string;
  kill(reason: string): void;
}

export class LiveSessions {
  readonly #sessions = new Map<string, LiveSession>();

  add(session: LiveSession): () => void {
    this.#sessions.set(session.id, session);
    return () => this.#sessions.delete(session.id);
  }

  list(): LiveSession[] {
    return [...this.#sessions.values()];
  }

  /** False when no such session is open here. */
  kill(id: string, reason: string): boolean {
    const s = this.#sessions.get(id);
    if (!s) return false;
    s.kill(reason);
    return true;
  }

  /** Ends every session opened with `tokenId` (it was revoked); returns how many. */
  killByToken(tokenId: string, reason: string): number {
    const hit = [...this.#sessions.values()].filter((s) => s.tokenId === tokenId);
    for (const s of hit) s.kill(reason);
    return hit.length;
  }

  killAll(reason: string): void {
    for (const s of this.#sessions.values()) s.kill(reason);
  }
}
