import { WardenError } from '../errors.ts';
import { newId } from '../ids.ts';
import { issueToken, type TokenDeps } from './tokens.ts';
import type { User } from './types.ts';

/**
 * First start: with no users at all, create an admin and a token so someone
 * can log in. Returns undefined whenever any user exists (including when
 * another gateway replica bootstrapped a moment earlier).
 */
export async function ensureBootstrapAdmin(
  deps: TokenDeps,
  name = 'admin',
): Promise<{ user: User; token: string } | undefined> {
  if ((await deps.users.list()).length > 0) return undefined;
  let user: User;
  try {
    user = await deps.users.create({ id: newId('usr'), name, role: 'admin', groups: [], createdAt: deps.clock.now() });
  } catch (err) {
    // A replica that lost the race sees a duplicate name: someone else bootstrapped.
    if (err instanceof WardenError && err.kind === 'bad_request' && (await deps.users.byName(name)) !== undefined) return undefined;
    throw err;
  }
  const { token } = await issueToken(deps, user.id, { name: 'bootstrap' });
  return { user, token };
}
