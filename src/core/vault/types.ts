/**
 * The vault seals target credentials at rest (AES-256-GCM under the master
 * key). Sealed strings are self-describing (`v1:<keyId>:<iv>:<tag>:<data>`,
 * base64url parts) so a rotation can tell which key sealed what.
 */
export interface Vault {
  seal(plaintext: string): string;
  /** Throws WardenError('internal') when the sealed value is corrupt or under another key. */
  open(sealed: string): string;
  readonly keyId: string;
}
