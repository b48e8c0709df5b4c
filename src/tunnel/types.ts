/**
 * Agents as the gateway stores them: a name connections refer to, and the
 * hash of the agent token's secret (never the secret).
 */
export interface AgentRecord {
  id: string;
  name: string;
  secretHash: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastSeenAt: Date | null;
  /** The Warden version the agent reported when it last connected. */
  version: string | null;
}

export interface AgentRepo {
  /** Throws WardenError('bad_request') when the name is taken. */
  create(a: AgentRecord): Promise<void>;
  byId(id: string): Promise<AgentRecord | undefined>;
  byName(name: string): Promise<AgentRecord | undefined>;
  list(): Promise<AgentRecord[]>;
  /** False when there is no such agent or it was already revoked. */
  revoke(name: string, at: Date): Promise<boolean>;
  touch(id: string, at: Date, version: string | null): Promise<void>;
}
