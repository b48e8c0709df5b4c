import type { WardenError, ErrorKind } from '../../core/errors.ts';
import { errorResponse } from './codec/backend.ts';

/**
 * WardenError → PostgreSQL ErrorResponse, in one place. The SQLSTATE is the
 * error's own code when it has one, else the kind's.
 *
 * @see https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const sqlstateByKind: Record<ErrorKind, string> = {
  access_denied: '28P01', // invalid_password
  not_found: '3D000', // invalid_catalog_name: the "database" (connection) does not exist
  bad_request: '08P01', // protocol_violation
  upstream_unavailable: '08006', // connection_failure
  approval_required: '42501', // insufficient_privilege
  internal: 'XX000', // internal_error
};

export function sqlstateOf(err: WardenError): string {
  return err.code ?? sqlstateByKind[err.kind];
}

/** FATAL ends the session (login-time errors); ERROR leaves it usable. */
export function toErrorResponse(err: WardenError, severity: 'ERROR' | 'FATAL'): Buffer {
  return errorResponse({ severity, code: sqlstateOf(err), message: err.message });
}
