/**
 * The REST API: users, tokens, connections and recorded sessions over HTTP,
 * for the CLI, the web UI and scripts. It calls `core/` only, checks a Warden
 * bearer token on every route but health and metrics, and never returns a
 * credential. The gateway (`src/gateway.ts`) builds it and decides where it listens.
 */
export { buildApi } from './server.ts';
export type * from './schemas.ts';
