import { WardenError, asWardenError } from '../errors.ts';
import { newId } from '../ids.ts';
import { verifySshKey, type SshKeyProof } from '../identity/ssh-keys.ts';
import { authenticate } from '../identity/authenticate.ts';
import type { ConnectionType } from '../connections/types.ts';
import type { CoreServices } from '../services.ts';
import { AuthorizedTarget, mintKey } from './target.ts';

/**
 * What a client presented on its wire: the Warden token given as password /
 * bearer, or (SSH) a signed public-key login with a key registered to the user.
 */
export type Credentials = { user: string; token: string } | { user: string; sshKey: SshKeyProof };

/**
 * The one door every protocol goes through: authenticate the token, resolve
 * the connection, ask policy whether the session may open. Any error inside
 * is a deny.
 */
export async function authorizeSession(
  core: CoreServices,
  who: Credentials,
  connectionName: string,
  protocol: ConnectionType,
): Promise<AuthorizedTarget> {
  try {
    const identity = 'token' in who ? await authenticate(core, who.token, who.user) : await verifySshKey(core, who.user, who.sshKey.key, who.sshKey);
    const connection = await core.connections.byName(connectionName);
    // The same answer for "no such connection" and "not of this protocol": a client learns nothing more.
    if (!connection || connection.type !== protocol) {
      throw new WardenError('not_found', `connection "${connectionName}" does not exist; list yours with \`warden connections list\``);
    }
    const verdict = await core.policy.decide(
      {
        user: identity.user.name,
        groups: identity.user.groups,
        connection: connection.name,
        connectionTags: connection.tags,
        at: core.clock.now(),
      },
      { kind: 'connect' },
    );
    if (verdict.effect === 'block' || verdict.effect === 'review') {
      throw new WardenError(verdict.effect === 'block' ? 'access_denied' : 'approval_required', verdict.message, { code: '42501' });
    }
    return new AuthorizedTarget(mintKey, { sessionId: newId('ses'), identity, connection, vault: core.vault });
  } catch (err) {
    // fail closed: whatever went wrong, no target is minted.
    const e = asWardenError(err);
    if (e.kind === 'internal') core.log.error({ err, user: who.user, connection: connectionName }, 'authorization failed');
    throw e;
  }
}
