import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WardenConfig } from '../config/schema.ts';
import type { AuditLog } from './audit/log.ts';
import type { Clock } from './clock.ts';
import type { ConnectionRepo } from './connections/types.ts';
import type { GroupRecheck } from './identity/authenticate.ts';
import type { OidcLogin } from './identity/oidc/types.ts';
import type { OidcWebLogin } from './identity/oidc/web-types.ts';
import type { SamlLogin } from './identity/saml/types.ts';
import type { SshKeyRepo } from './identity/ssh-keys.ts';
import type { TokenRepo, UserRepo } from './identity/types.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { LineageEntry } from './masking/lineage.ts';
import type { StatementFacts } from './masking/statements.ts';
import type { MaskingCatalog, SessionLineage } from './masking/views.ts';
import type { PolicyService } from './policy/service.ts';
import type { PolicyEngine } from './policy/types.ts';
import type { RecordingStorage } from './recording/types.ts';
import type { ReviewService } from './review/service-types.ts';
import type { LiveSessions } from './session/live.ts';
import type { SessionRepo } from './session/types.ts';
import type { Vault } from './vault/types.ts';

/**
 * Everything the core needs, passed explicitly: no module-level singletons.
 * Built once by the CLI wiring (`src/gateway.ts`), handed to protocols and the API.
 */
export interface CoreServices {
  config: WardenConfig;
  clock: Clock;
  log: Logger;
  users: UserRepo;
  tokens: TokenRepo;
  /** Users' SSH public keys, for public-key login to the SSH listener. */
  sshKeys: SshKeyRepo;
  connections: ConnectionRepo;
  sessions: SessionRepo;
  recordings: RecordingStorage;
  vault: Vault;
  policy: PolicyEngine;
  /** Rules as data: the stored rules, apply and dry-run tests (API/CLI). Normally also `policy`. */
  policyService: PolicyService;
  metrics: GatewayMetrics;
  masking: MaskingServices;
  live: LiveSessions;
  /** Just-in-time reviews: held statements and access requests. */
  reviews: ReviewService;
  /** The audit log: sign-ins, tokens, policy, reviews, users and connections (see core/audit). */
  audit: AuditLog;
  /** OIDC sign-in (device flow); absent when `identity.oidc` is not configured. */
  oidc?: OidcLogin;
  /** SAML 2.0 sign-in (SP-initiated); absent when `identity.saml` is not configured. */
  saml?: SamlLogin;
  /** OIDC sign-in for browsers (authorization code + PKCE); absent when `identity.oidc` is not configured. */
  oidcWeb?: OidcWebLogin;
  /** Re-reads the IdP groups behind IdP-login tokens now and then (see `authenticate`); absent: no re-check. */
  idpRecheck?: GroupRecheck;
  /** Opens the byte stream to a target, directly or through its agent; absent: agent connections fail closed. */
  dialer?: Dialer;
}

/** Where a session's bytes go: the connection's address and the agent or agent group that serves it (both null = direct). */
export interface DialTarget {
  name: string;
  host: string;
  port: number;
  agent: string | null;
  agentGroup: string | null;
}

/**
 * The port protocols open targets through. Resolves with a connected duplex
 * (a TCP socket, or a stream over an agent link); rejects with
 * WardenError('upstream_unavailable') naming the target or the agent.
 */
export interface Dialer {
  dial(target: DialTarget, signal: AbortSignal): Promise<Duplex>;
}

/** What a protocol needs to mask results the policy says to mask. */
export interface MaskingServices {
  /** The installation key for deterministic (hash) masking. */
  hashKey: Buffer;
  /** Per statement of `sql`, the source columns of each output column; [] when unknown. Never throws. */
  lineage(sql: string): LineageEntry[][];
  /** Per statement of `sql`, its COPY format and cursor operation, if any; [] when unparseable. Never throws. */
  facts(sql: string): StatementFacts[];
  /** One session's lineage that sees through views, learned from the target through `catalog`. */
  session(catalog: MaskingCatalog): SessionLineage;
}
