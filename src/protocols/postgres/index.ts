/**
 * The PostgreSQL protocol: lets unmodified clients (psql, pgbench, drivers)
 * reach PostgreSQL targets through Warden with a Warden token as password
 * and the connection name as database.
 */
import type { Protocol } from '../../core/protocol.ts';
import type { RemoteCancels } from '../../core/session/remote-cancel.ts';
import { CancelKeys } from './cancel.ts';
import { runSession } from './session.ts';

/** `remoteCancels`: passes CancelRequests for other replicas' sessions to them (and takes theirs). */
export function createPostgresProtocol(opts: { remoteCancels?: RemoteCancels } = {}): Protocol {
  // Cancel keys live as long as this protocol object: one per gateway, never module-global.
  const cancelKeys = new CancelKeys(opts.remoteCancels);
  return {
    name: 'postgres',
    serve: (socket, ctx, core) => runSession(socket, ctx, core, cancelKeys),
  };
}
