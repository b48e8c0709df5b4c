/**
 * The MySQL protocol: lets unmodified MySQL/MariaDB clients reach MySQL and
 * MariaDB targets through Warden, with a Warden token as password (sent via
 * mysql_clear_password, see auth.ts) and the connection name as database.
 */
import type { Protocol } from '../../core/protocol.ts';
import { runSession } from './session.ts';

export function createMysqlProtocol(): Protocol {
  // Connection ids shown to clients: per protocol object (one per gateway), never module-global.
  let nextConnectionId = 1;
  return {
    name: 'mysql',
    serve: (socket, ctx, core) => runSession(socket, ctx, core, nextConnectionId++ >>> 0),
  };
}
