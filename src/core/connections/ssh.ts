import { createHash } from 'node:crypto';
import { parseSshKey } from '../ssh-key-parser.ts';
import { WardenError } from '../errors.ts';

/**
 * Checks of what an admin stores on an SSH connection, done when it is
 * stored (a bad key is a 400 then, not a failed session later), and the
 * host-key comparison the SSH upstream makes with them.
 */

const fingerprintPattern = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** `SHA256:<unpadded base64>` of a host key blob, as `ssh-keygen -l` prints it. */
export function hostKeyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * One configured host key entry as a fingerprint: an OpenSSH public key line
 * (`ssh-ed25519 AAAA… [comment]`, also a known_hosts line without its host
 * field) or `SHA256:…`. Throws WardenError('bad_request') for anything else.
 */
export function hostKeyEntryFingerprint(entry: string): string {
  const text = entry.trim();
  if (fingerprintPattern.test(text)) return text;
  const parsed = parseSshKey(text);
  if (parsed instanceof Error || parsed.isPrivateKey()) {
    throw new WardenError('bad_request', `host key "${text.slice(0, 40)}…" is neither an OpenSSH public key line nor a SHA256:… fingerprint (see \`ssh-keyscan\` / \`ssh-keygen -lf\`)`);
  }
  return hostKeyFingerprint(parsed.getPublicSSH());
}

/** Every entry normalised to its fingerprint; throws on the first bad one. */
export function checkHostKeys(entries: readonly string[]): string[] {
  return entries.map(hostKeyEntryFingerprint);
}

/** Throws WardenError('bad_request') unless `key` is a private key that opens with `passphrase`. */
export function checkPrivateKey(key: string, passphrase?: string): void {
  const parsed = parseSshKey(key, passphrase);
  if (parsed instanceof Error) {
    const hint = /passphrase|decrypt|encrypted/i.test(parsed.message) ? ' (wrong or missing passphrase?)' : '';
    throw new WardenError('bad_request', `the private key cannot be read${hint}: give an OpenSSH or PEM private key file`);
  }
  if (!parsed.isPrivateKey()) throw new WardenError('bad_request', 'this is a public key; the connection needs the private key the target accepts');
}
