import type { TimeWindow } from '../policy/rules.ts';
import type { Review, ReviewPolicy } from './types.ts';

/** Who acts on a review: requester or approver. */
export interface Actor {
  name: string;
  groups: string[];
  role: 'admin' | 'auditor' | 'user';
}

/**
 * The review workflow as protocols and the API use it. Errors are
 * WardenErrors: not_found (unknown id), access_denied (self-approval,
 * non-approver), bad_request (double decision, expired, missing justification).
 */
export interface ReviewService {
  /** A statement policy says to review: records a pending review and notifies approvers. */
  requestCommand(input: { requester: Actor; connection: string; text: string; rules: string[]; policy: ReviewPolicy; justification?: string | null }): Promise<Review>;
  /**
   * Queue mode: an approved, unexpired review of this same statement (same user,
   * connection, fingerprint) with runs left — consumes one run and returns it;
   * undefined when there is none.
   */
  consumeApproved(requester: string, connection: string, text: string): Promise<Review | undefined>;
  /**
   * Queue mode: an approved review of this statement with runs left that only
   * its execution window keeps from running now (nothing is consumed), and
   * that window; undefined when there is none.
   */
  approvedOutsideWindow(requester: string, connection: string, text: string): Promise<{ review: Review; window: TimeWindow } | undefined>;
  /**
   * Hold mode: resolves with the review once it leaves `pending` (approved,
   * denied, expired, cancelled). Rejects with the signal's reason when aborted
   * (client cancelled, session ended). Works across replicas (polls the store).
   */
  waitForDecision(id: string, signal: AbortSignal): Promise<Review>;
  /** Marks a held review cancelled by its requester (client cancel / disconnect). */
  cancel(id: string, by: string, reason: string): Promise<Review | undefined>;
  /** Approve / deny / force-approve (break-glass group only). */
  decide(id: string, actor: Actor, decision: 'approve' | 'deny' | 'force-approve', reason?: string | null): Promise<Review>;
  /** Time-boxed access to a connection; `policy` defaults to the service's access policy. */
  requestAccess(input: { requester: Actor; connection: string; forMs: number; reason: string; policy?: ReviewPolicy; closeSessionsOnExpiry?: boolean }): Promise<Review>;
  /** The access grant in force for this user on this connection now, if any. */
  activeGrant(user: string, connection: string): Promise<Review | undefined>;
  /** The inbox: pending reviews the actor may decide, oldest first. */
  inbox(actor: Actor): Promise<Review[]>;
  get(id: string): Promise<Review>;
  list(filter?: { status?: Review['status']; requester?: string; connection?: string; limit?: number }): Promise<Review[]>;
  /**
   * Approved access grants that ask for sessions to be closed at expiry and
   * lapsed in (since, now], unless another grant for the same user and
   * connection is still in force. Called periodically by the sweeper.
   */
  lapsedGrants(since: Date): Promise<Review[]>;
  /** Moves pending reviews past their expiry to `expired`; returns how many. Called periodically. */
  expireDue(): Promise<number>;
}
