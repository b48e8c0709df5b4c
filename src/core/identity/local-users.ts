import { machineGroup } from './machine.ts';
import type { TokenSource, User } from './types.ts';

/**
 * "Local users", for `identity.localUsers: false`. Warden has no passwords: a
 * person signs in by presenting a Warden token, which either an IdP sign-in
 * minted (source `oidc`/`saml`) or an admin issued through the API/CLI
 * (source `admin`). A *local person* is a user with the `user` role outside
 * the `machine` group; what gets switched off is exactly their admin-issued
 * tokens (refused when presented, not issued any more) and creating new
 * such users. Kept, and documented as such:
 * - machine identities and their tokens (CI, services, AI agents);
 * - admins and auditors, which only exist locally (an IdP sign-in never
 *   creates or takes over one): the bootstrap admin is the break-glass path.
 */
export function isLocalPerson(user: Pick<User, 'role' | 'groups'>): boolean {
  return user.role === 'user' && !user.groups.includes(machineGroup);
}

/** True when this token, presented by this user, is a local person's sign-in. */
export function isLocalPersonToken(user: Pick<User, 'role' | 'groups'>, source: TokenSource | undefined): boolean {
  return (source ?? 'admin') === 'admin' && isLocalPerson(user);
}

/** The sentence every refusal uses, so the person learns where to sign in instead. */
export const localUsersOff =
  'local user sign-in is switched off on this gateway (identity.localUsers: false): sign in through your identity provider (`warden login --oidc`, or /api/v1/auth/saml/login); only admins, auditors and machine identities use admin-issued tokens';
