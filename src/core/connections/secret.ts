import { WardenError } from '../errors.ts';

/**
 * What the vault seals for a connection: a password (sealed as the bare
 * string, as it always was) or an SSH private key with its optional
 * passphrase (sealed as `warden-ssh-key:v1:` + base64url JSON). A password
 * that itself starts with the marker is refused at the door, so the two can
 * never be confused.
 */
export type TargetSecret = { password: string } | { privateKey: string; passphrase?: string };

const keyMarker = 'warden-ssh-key:v1:';

export function encodeSecret(secret: TargetSecret): string {
  if ('password' in secret) {
    if (secret.password.startsWith(keyMarker)) throw new WardenError('bad_request', `a password may not start with "${keyMarker}"`);
    return secret.password;
  }
  const body: { privateKey: string; passphrase?: string } = { privateKey: secret.privateKey };
  if (secret.passphrase !== undefined) body.passphrase = secret.passphrase;
  return keyMarker + Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** Throws WardenError('internal') when a sealed key does not decode (a corrupt row, never a password). */
export function decodeSecret(plain: string): TargetSecret {
  if (!plain.startsWith(keyMarker)) return { password: plain };
  try {
    const body = JSON.parse(Buffer.from(plain.slice(keyMarker.length), 'base64url').toString('utf8')) as { privateKey?: unknown; passphrase?: unknown };
    if (typeof body.privateKey !== 'string' || (body.passphrase !== undefined && typeof body.passphrase !== 'string')) throw new Error('bad shape');
    return body.passphrase === undefined ? { privateKey: body.privateKey } : { privateKey: body.privateKey, passphrase: body.passphrase };
  } catch (err) {
    throw new WardenError('internal', 'the stored key credential of this connection is corrupt; an admin sets it again', { cause: err });
  }
}
