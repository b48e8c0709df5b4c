/**
 * What SAML sign-in has to remember between requests, behind a port so every
 * gateway replica sharing a store sees the same: the AuthnRequest IDs this
 * installation sent (a response must answer one of them), and the assertion
 * IDs already used to sign in (a replay is refused, on any replica, until the
 * assertion has expired and the time checks refuse it anyway).
 */
export interface SamlStateRepo {
  /** Remembers an AuthnRequest ID until `expiresAt`. */
  saveRequest(id: string, createdAt: Date, expiresAt: Date): Promise<void>;
  /** When `id` was sent, if it is pending and `now` is before its expiry; undefined otherwise. */
  findRequest(id: string, now: Date): Promise<Date | undefined>;
  /** Forgets a request ID (answered, or its answer was refused). */
  removeRequest(id: string): Promise<void>;
  /** True when assertion `id` was used and has not expired at `now`. */
  assertionUsed(id: string, now: Date): Promise<boolean>;
  /**
   * Marks assertion `id` used until `expiresAt`. False when it is already
   * used and not expired: a replay. Atomic: of two replicas racing with the
   * same assertion exactly one gets true.
   */
  useAssertion(id: string, now: Date, expiresAt: Date): Promise<boolean>;
}
