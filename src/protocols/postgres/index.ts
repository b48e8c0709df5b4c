/**
 * The PostgreSQL protocol: lets unmodified clients (psql, pgbench, drivers)
 * reach PostgreSQL targets through Warden with a Warden token as password
 * and the connection name as database.
 */
import type { Protocol } from '../../core/protocol.ts';
import { CancelKeys } from './cancel.ts';
import { runSession } from './session.ts';

export function createPostgresProtocol(): Protocol {
  // Cancel keys live as long as this protocol object: one per gateway, never module-global.
  const cancelKeys = new CancelKeys();
  return {
    name: 'postgres',
    serve: (socket, ctx, core) => runSession(socket, ctx, core, cancelKeys),
  };
}
