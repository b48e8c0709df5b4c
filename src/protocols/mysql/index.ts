/**
 * The MySQL protocol: lets unmodified MySQL/MariaDB clients reach MySQL and
 * MariaDB targets through Warden, with a Warden token as password (sent via
 * mysql_clear_password, see auth.ts) and the connection name as database.
 */
import type { Protocol } from '../../core/protocol.ts';
import type { RemoteKills } from '../../core/session/remote-kill.ts';
import { createMysqlClassifier, createMysqlLineage } from '../../core/sql/mysql/index.ts';
import { serveRemoteKills } from './kill-handler.ts';
import { runSession } from './session.ts';
import { SessionDirectory } from './sessions.ts';

/** `remoteKills`: passes KILLs of other replicas' sessions to them (and takes theirs); absent with one gateway. */
export function createMysqlProtocol(opts: { remoteKills?: RemoteKills } = {}): Protocol {
  // Connection ids shown to clients, and the sessions they name for KILL: per protocol object
  // (one per gateway), never module-global. The classifier only recognises KILL statements
  // (policy has its own); small, as only texts spelling "kill" reach it. Lineage is asked only for
  // statements whose verdict masks columns.
  const shared = { directory: new SessionDirectory(), classifier: createMysqlClassifier({ cacheSize: 256 }), lineage: createMysqlLineage(), remoteKills: opts.remoteKills };
  // Lives as long as the gateway's event bus, which drops its handlers when it closes.
  if (opts.remoteKills) serveRemoteKills(opts.remoteKills, shared.directory);
  return {
    name: 'mysql',
    serve: (socket, ctx, core) => runSession(socket, ctx, core, shared),
  };
}
