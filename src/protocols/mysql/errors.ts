import type { ErrorKind, WardenError } from '../../core/errors.ts';
import { errPayload } from './codec/generic.ts';
import { packet } from './codec/packet.ts';

/**
 * WardenError → MySQL ERR packet, in one place. The error number and
 * SQLSTATE come from the kind, unless the error carries a MySQL error number
 * of its own as `code` (four digits); SQLSTATE codes other protocols put
 * there are ignored.
 *
 * @see https://mariadb.com/kb/en/mariadb-error-code-reference/
 */
const byKind: Record<ErrorKind, { code: number; sqlstate: string }> = {
  access_denied: { code: 1045, sqlstate: '28000' }, // ER_ACCESS_DENIED_ERROR
  not_found: { code: 1049, sqlstate: '42000' }, // ER_BAD_DB_ERROR: the "database" (connection) does not exist
  bad_request: { code: 1047, sqlstate: '08S01' }, // ER_UNKNOWN_COM_ERROR
  // Not 2003 (CR_CONN_HOST_ERROR): libmariadb turns any 2xxx code a server sends during login into
  // 2027 "malformed packet", hiding the message; ER_UNKNOWN_ERROR carries it to every client.
  upstream_unavailable: { code: 1105, sqlstate: 'HY000' },
  approval_required: { code: 1045, sqlstate: '28000' },
  internal: { code: 1105, sqlstate: 'HY000' }, // ER_UNKNOWN_ERROR
};

/** Codes a WardenError may carry for this wire, with their SQLSTATE. */
const byCode: Record<string, string> = {
  '1043': '08S01', // ER_HANDSHAKE_ERROR
  '1046': '3D000', // ER_NO_DB_ERROR
  '1047': '08S01',
  '1142': '42000', // ER_TABLEACCESS_DENIED_ERROR: a statement the policy stopped
  '1044': '42000', // ER_DBACCESS_DENIED_ERROR
};

export function mysqlErrorOf(err: WardenError): { code: number; sqlstate: string } {
  const own = err.code !== undefined ? byCode[err.code] : undefined;
  if (own !== undefined) return { code: Number(err.code), sqlstate: own };
  return byKind[err.kind];
}

export function toErrPacket(err: WardenError, seq: number): Buffer {
  return packet(seq, errPayload({ ...mysqlErrorOf(err), message: err.message }));
}
