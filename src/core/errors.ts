/**
 * The one error class of Warden. Every failure that reaches a client is a
 * WardenError; each protocol turns it into its own wire error in one place
 * (`protocols/<name>/errors.ts`). Messages are written for the person at the
 * client and say what to do next; they never contain credentials.
 */
export const errorKinds = [
  'access_denied', // bad or expired token, unknown user, policy block
  'not_found', // unknown connection, session, user…
  'bad_request', // malformed input from the client
  'upstream_unavailable', // target unreachable, target auth failed
  'approval_required', // policy says review
  'internal', // a bug or an unexpected state: logged, never detailed to the client
] as const;
export type ErrorKind = (typeof errorKinds)[number];

export class WardenError extends Error {
  readonly kind: ErrorKind;
  /** Protocol-specific hint, e.g. a SQLSTATE the protocol should prefer. */
  readonly code: string | undefined;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WardenError';
    this.kind = kind;
    this.code = options?.code;
  }
}

/** Any thrown value as a WardenError; unknown errors become `internal` with a generic message. */
export function asWardenError(err: unknown): WardenError {
  if (err instanceof WardenError) return err;
  return new WardenError('internal', 'internal gateway error; the incident was logged', { cause: err });
}
