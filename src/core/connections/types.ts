/**
 * A connection is a named target: what Warden connects to on a user's behalf,
 * with the credential only the gateway holds (sealed by the vault).
 */
export const connectionTypes = ['postgres', 'mysql', 'ssh', 'http', 'tcp'] as const;
export type ConnectionType = (typeof connectionTypes)[number];

/** How the gateway talks TLS to the target. */
export const targetTlsModes = ['disable', 'prefer', 'require', 'verify-full'] as const;
export type TargetTlsMode = (typeof targetTlsModes)[number];

export interface Connection {
  id: string;
  name: string;
  type: ConnectionType;
  host: string;
  port: number;
  /** Database on the target (postgres/mysql); the user asks for the connection by name instead. */
  database: string | null;
  /** User name on the target. */
  username: string;
  /** The target password or key, sealed by the vault; null for trust/none. */
  sealedSecret: string | null;
  tls: TargetTlsMode;
  tags: string[];
  /** The agent that serves it; null = a group serves it (`agentGroup`) or the gateway dials directly. */
  agent: string | null;
  /**
   * The agent group that serves it: any connected agent of the group may carry
   * a session. Never set together with `agent`; absent = not a group's.
   */
  agentGroup?: string;
  /**
   * SSH: the host keys the target must present (OpenSSH public key lines or
   * `SHA256:` fingerprints); absent or empty = pinned on first use.
   */
  hostKeys?: string[];
  /**
   * 'agent': the agent serving the connection holds the target credentials and
   * answers the target's login challenges itself (md5, SCRAM); the gateway
   * stores no secret for it. Absent: the gateway's vaulted credential.
   */
  credentials?: 'agent';
  createdAt: Date;
}

export interface ConnectionRepo {
  create(c: Connection): Promise<Connection>;
  byName(name: string): Promise<Connection | undefined>;
  list(): Promise<Connection[]>;
  update(name: string, patch: Partial<Omit<Connection, 'id' | 'name' | 'createdAt'>>): Promise<Connection | undefined>;
  remove(name: string): Promise<boolean>;
}

/** What the API and CLI may show of a connection: never the secret. */
export type PublicConnection = Omit<Connection, 'sealedSecret'> & { hasSecret: boolean };

export function publicConnection(c: Connection): PublicConnection {
  const { sealedSecret, ...rest } = c;
  return { ...rest, hasSecret: sealedSecret !== null };
}
