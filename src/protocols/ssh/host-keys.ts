import { hostKeyEntryFingerprint, hostKeyFingerprint } from '../../core/connections/ssh.ts';
import { WardenError } from '../../core/errors.ts';
import type { TargetHostPins } from './host-pins.ts';

/**
 * Which target host keys the gateway trusts for one connection: the keys an
 * admin configured on it (`hostKeys`: public key lines or `SHA256:`
 * fingerprints) when there are any — then only those, and the TOFU pin file
 * is neither read nor written — otherwise the key pinned on first use.
 * Returns true or throws WardenError('upstream_unavailable') saying loudly
 * what was expected and what was offered.
 */
export function checkTargetHostKey(
  conn: { name: string; host: string; port: number; hostKeys?: readonly string[] | undefined },
  pins: TargetHostPins,
  key: Buffer,
): true {
  const configured = conn.hostKeys ?? [];
  if (configured.length === 0) return pins.check(conn.host, conn.port, key, conn.name);
  const offered = hostKeyFingerprint(key);
  // fail closed: an entry that no longer parses matches nothing (it was checked when stored).
  const expected = configured.flatMap((e) => {
    try {
      return [hostKeyEntryFingerprint(e)];
    } catch {
      return [];
    }
  });
  if (expected.includes(offered)) return true;
  throw new WardenError(
    'upstream_unavailable',
    `the SSH host key of connection "${conn.name}" (${conn.host}:${conn.port}) does NOT MATCH its configured host keys: expected ${expected.join(' or ') || '(none readable)'}, offered ${offered}. ` +
      'Warden refused to connect: someone may sit between the gateway and the target, or the target was rebuilt (then an admin updates the connection\'s host keys).',
  );
}
