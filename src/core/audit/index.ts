/**
 * Audit: the typed record of what happened to Warden itself — sign-ins and
 * refused sign-ins, tokens issued and revoked, policy applied, reviews
 * decided, users and connections changed — for auditors (GET /api/v1/audit,
 * `warden audit list`). Events are built from the closed union in types.ts.
 */
export { createAuditLog, type AuditLog } from './log.ts';
export { auditOutcomes, auditTypes, type AuditDetail, type AuditEvent, type AuditOutcome, type AuditQuery, type AuditRepo, type AuditType, type NewAuditEvent } from './types.ts';
