/**
 * The `warden` command line: running the gateway, and managing it through the
 * REST API (login, users, tokens, connections, sessions) or, for the vault,
 * directly on a stopped gateway's data dir. `src/main.ts` runs it.
 */
export { buildProgram } from './program.ts';
export { ApiClient } from './client.ts';
