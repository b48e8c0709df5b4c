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
  /** Groups it serves (migration 0010): a connection naming one of them may ride this agent. Set at creation. */
  groups: string[];
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

/** One running gateway as the shared store knows it (migration 0007). */
export interface ReplicaRecord {
  id: string;
  name: string;
  /** Where agents reach this replica's API listener (ws/http URL). */
  apiUrl: string;
  startedAt: Date;
  heartbeatAt: Date;
}

export interface ReplicaRepo {
  /** Inserts or refreshes this replica's row. */
  upsert(r: ReplicaRecord): Promise<void>;
  heartbeat(id: string, at: Date): Promise<void>;
  /** Replicas whose heartbeat is at or after `since`, oldest first. */
  live(since: Date): Promise<ReplicaRecord[]>;
  /** A replica that stops cleanly says goodbye (its agent links too), so agents drop it at once. */
  remove(id: string): Promise<void>;
  addLink(l: AgentLinkRecord): Promise<void>;
  removeLink(id: string): Promise<void>;
  /** Links held by live replicas (heartbeat at or after `since`), with the replica each is on. */
  liveLinks(since: Date): Promise<(AgentLinkRecord & { replicaName: string; replicaUrl: string })[]>;
  /**
   * Ends (reason `replica_lost: …`, at `at`) the sessions still open on
   * replicas whose heartbeat is older than `staleBefore`: they were cut off
   * when that replica died. Byte and statement counts stay at what was stored
   * (zero): only the dead process knew them. Returns what it ended, per replica.
   */
  endLostSessions(staleBefore: Date, at: Date): Promise<LostSessions[]>;
}

/** Sessions a dead replica left open, ended by a surviving one. */
export interface LostSessions {
  replicaId: string;
  replicaName: string;
  lastHeartbeat: Date;
  sessions: string[];
}

/** One agent link as the store records it: which agent, on which replica, since when. */
export interface AgentLinkRecord {
  id: string;
  replicaId: string;
  agentId: string;
  remoteAddress: string;
  connectedAt: Date;
}
