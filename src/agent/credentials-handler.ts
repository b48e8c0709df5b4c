import type { AuthHandler } from '../tunnel/index.ts';

/**
 * The agent's answerer for connections marked `credentials: agent`, from the
 * parsed credentials file (`doc`; relative key paths resolve against `baseDir`).
 * Throws WardenError('bad_request') on an entry it cannot use.
 *
 * Loaded on demand: reading private keys and answering SCRAM, MySQL scrambles and
 * SSH signatures pulls in ssh2, pg's SCRAM code and @noble/curves, which an agent
 * that keeps no credentials (the usual case) never needs in memory.
 */
export async function credentialsHandler(doc: Record<string, unknown>, baseDir?: string): Promise<AuthHandler> {
  const { AgentCredentials, answerAuth } = await import('./credentials.ts');
  return answerAuth(new AgentCredentials(doc, baseDir));
}
