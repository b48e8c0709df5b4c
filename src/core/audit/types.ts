/**
 * The audit log as the core sees it: typed, protocol-neutral events about who
 * did what to Warden itself (sign-ins, tokens, policy, reviews, users,
 * connections). Session traffic is in sessions and recordings, not here.
 */
export const auditTypes = [
  'login.oidc',
  'login.saml',
  'login.token',
  'token.issued',
  'token.revoked',
  'policy.applied',
  'review.decided',
  'user.created',
  'user.updated',
  'user.deleted',
  'connection.created',
  'connection.updated',
  'connection.deleted',
] as const;
export type AuditType = (typeof auditTypes)[number];

export const auditOutcomes = ['success', 'failure'] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];

/** Small, flat facts about an event; never a secret (no token, no SAML response, no password). */
export type AuditDetail = Record<string, string | number | boolean | null | string[]>;

export interface AuditEvent {
  id: string;
  at: Date;
  type: AuditType;
  outcome: AuditOutcome;
  /** The Warden user (or claimed user name) acting; null when unknown (e.g. a garbled token). */
  actor: string | null;
  /** What the event is about: a user, token id, connection, review id…; null when none. */
  subject: string | null;
  detail: AuditDetail;
}

export type NewAuditEvent = Omit<AuditEvent, 'id' | 'at' | 'subject' | 'detail'> & { subject?: string | null; detail?: AuditDetail };

/**
 * A search: `type` is an exact type (`login.saml`) or a family (`login`);
 * events are returned newest first, at most `limit`.
 */
export interface AuditQuery {
  since?: Date;
  until?: Date;
  actor?: string;
  type?: string;
  limit: number;
}

/** Append-only storage of audit events (the store implements it). */
export interface AuditRepo {
  append(event: AuditEvent): Promise<void>;
  list(query: AuditQuery): Promise<AuditEvent[]>;
}
