/**
 * The MySQL protocol: lets unmodified MySQL/MariaDB clients reach MySQL and
 * MariaDB targets through Warden, with a Warden token as password (sent via
 * mysql_clear_password, see auth.ts) and the connection name as database.
 */
import type { Protocol } from '../../core/protocol.ts';
import { createMysqlClassifier, createMysqlLineage } from '../../core/sql/mysql/index.ts';
import { runSession } from './session.ts';
import { SessionDirectory } from './sessions.ts';

export function createMysqlProtocol(): Protocol {
  // Connection ids shown to clients, and the sessions they name for KILL: per protocol object
  // (one per gateway), never module-global. The classifier only recognises KILL statements
  // (policy has its own); small, as only texts spelling "kill" reach it. Lineage is asked only for
  // statements whose verdict masks columns.
  const shared = { directory: new SessionDirectory(), classifier: createMysqlClassifier({ cacheSize: 256 }), lineage: createMysqlLineage() };
  return {
    name: 'mysql',
    serve: (socket, ctx, core) => runSession(socket, ctx, core, shared),
  };
}
