/** One client session through the gateway, as stored (no events: those are in the recording). */
export interface SessionRecord {
  id: string;
  userId: string;
  userName: string;
  connectionName: string;
  protocol: string;
  clientAddress: string;
  startedAt: Date;
  endedAt: Date | null;
  bytesFromClient: number;
  bytesToClient: number;
  statements: number;
  /** Why it ended: 'client_closed', 'target_closed', 'error: …', 'killed', 'gateway_shutdown', 'replica_lost: …'. */
  endReason: string | null;
  /** The gateway replica it runs on (see replica.ts); absent when no replica stamped it. */
  replicaId?: string | null;
}

export interface SessionEnd {
  endedAt: Date;
  bytesFromClient: number;
  bytesToClient: number;
  statements: number;
  endReason: string;
}

export interface SessionRepo {
  start(s: Omit<SessionRecord, 'endedAt' | 'endReason' | 'bytesFromClient' | 'bytesToClient' | 'statements'>): Promise<void>;
  end(id: string, end: SessionEnd): Promise<void>;
  get(id: string): Promise<SessionRecord | undefined>;
  /** Newest first. */
  list(filter?: { userName?: string; connectionName?: string; limit?: number; openOnly?: boolean }): Promise<SessionRecord[]>;
}
