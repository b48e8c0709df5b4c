import { createHash } from 'node:crypto';
import { parseSshKey } from '../ssh-key-parser.ts';
import type { Clock } from '../clock.ts';
import { WardenError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Identity, User, UserRepo } from './types.ts';

/**
 * SSH public keys a Warden user registered, so `ssh -i key user@conn@gateway`
 * logs in without a token. A key belongs to one user only (its fingerprint
 * is unique across the store): a key cannot silently act for two people.
 */
export interface SshKeyRecord {
  id: string;
  userId: string;
  /** A label for humans ("laptop"); defaults to the key's comment. */
  name: string;
  /** `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`… */
  algo: string;
  /** The OpenSSH public key line without its comment: `<algo> <base64>`. */
  publicKey: string;
  /** `SHA256:<base64>` as `ssh-keygen -l` prints it. */
  fingerprint: string;
  createdAt: Date;
}

export interface SshKeyRepo {
  /** Throws WardenError('bad_request') when the fingerprint is already registered (to anyone). */
  create(key: SshKeyRecord): Promise<void>;
  byFingerprint(fingerprint: string): Promise<SshKeyRecord | undefined>;
  listForUser(userId: string): Promise<SshKeyRecord[]>;
  /** False when the user has no key with this id or fingerprint. */
  remove(userId: string, idOrFingerprint: string): Promise<boolean>;
}

export interface SshKeyDeps {
  users: UserRepo;
  sshKeys: SshKeyRepo;
  clock: Clock;
}

/** `SHA256:…` of an SSH public key blob (the wire encoding), unpadded base64 like OpenSSH. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Parses one OpenSSH public key line; throws WardenError('bad_request') for anything else (private keys included). */
export function parsePublicKey(line: string): { algo: string; blob: Buffer; comment: string } {
  const parsed = parseSshKey(line.trim());
  if (parsed instanceof Error || Array.isArray(parsed)) {
    throw new WardenError('bad_request', 'not an SSH public key: give one line of a `.pub` file, e.g. `ssh-ed25519 AAAA… you@laptop`');
  }
  // fail closed: a private key pasted by mistake is refused, never stored.
  if (parsed.isPrivateKey()) throw new WardenError('bad_request', 'this is a PRIVATE key; register the public one (the `.pub` file) and keep the private key to yourself');
  return { algo: parsed.type, blob: parsed.getPublicSSH(), comment: parsed.comment };
}

export async function registerSshKey(deps: SshKeyDeps, user: User, line: string, name?: string): Promise<SshKeyRecord> {
  const { algo, blob, comment } = parsePublicKey(line);
  const record: SshKeyRecord = {
    id: newId('key'),
    userId: user.id,
    name: name?.trim() || comment || algo,
    algo,
    publicKey: `${algo} ${blob.toString('base64')}`,
    fingerprint: sshFingerprint(blob),
    createdAt: deps.clock.now(),
  };
  await deps.sshKeys.create(record);
  return record;
}

/** What an SSH client presented with a signed publickey attempt. */
export interface SshKeyProof {
  /** The public key blob as sent. */
  key: Buffer;
  /** The data the client signed (session id + userauth request). */
  signed: Buffer;
  signature: Buffer;
  /** The hash the signature algorithm uses (rsa-sha2-256 → sha256), as ssh2 reports it. */
  hashAlgo?: string;
}

/**
 * Whether `userName` may use this key: registered to exactly that user, who
 * is enabled. Without `proof` only the registration is checked (the SSH
 * "may I sign with this key?" query); with it, the signature must verify.
 * Throws WardenError('access_denied') with one message for every failure.
 */
export async function verifySshKey(deps: SshKeyDeps, userName: string, key: Buffer, proof?: Omit<SshKeyProof, 'key'>): Promise<Identity> {
  const deny = (reason: string) => new WardenError('access_denied', `this SSH key is not registered for user "${userName}"; add it with \`warden users keys add\``, { cause: { reason } });
  const record = await deps.sshKeys.byFingerprint(sshFingerprint(key));
  if (record === undefined) throw deny('unknown_key');
  const user = await deps.users.byId(record.userId);
  // fail closed: a key of another user, of a vanished or of a disabled user grants nothing.
  if (user === undefined || user.name !== userName) throw deny('user_mismatch');
  if (user.disabledAt !== null) throw deny('user_disabled');
  if (proof !== undefined) {
    const parsed = parseSshKey(key);
    if (parsed instanceof Error || Array.isArray(parsed)) throw deny('unparseable_key');
    // The stored key, not only the presented one, must be the key that signed.
    if (parsed.getPublicSSH().toString('base64') !== record.publicKey.split(' ')[1]) throw deny('key_mismatch');
    if (parsed.verify(proof.signed, proof.signature, proof.hashAlgo) !== true) throw deny('bad_signature');
  }
  return { user, tokenId: record.id };
}
