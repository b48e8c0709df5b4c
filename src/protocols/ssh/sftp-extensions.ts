import type { FileOp } from '../../core/policy/files.ts';
import { limitsExtension } from './sftp-limits.ts';
import { encodePacket, FXP, PacketReader } from './sftp-packets.ts';

/**
 * The SFTP extensions (SSH_FXP_EXTENDED requests) the gateway relays, and
 * how each is judged: like the core request it extends. Pure: no sockets,
 * no policy.
 * @see https://github.com/openssh/openssh-portable/blob/master/PROTOCOL
 *   (section 4, "SFTP protocol changes") and draft-ietf-secsh-filexfer-extensions-00 (copy-data).
 *
 * The gateway offers one of these to its client only when the target
 * offered it, at the same revision (a different one may mean other fields
 * or semantics the gateway does not know), plus limits@openssh.com, which
 * the gateway answers itself (sftp-limits.ts). Any other extension, or one
 * of these the target did not offer, is refused (fail closed).
 */

/** The extensions relayed, with the revision (the VERSION's data string) the gateway knows. */
export const relayedExtensions: Readonly<Record<string, string>> = {
  'posix-rename@openssh.com': '1',
  'hardlink@openssh.com': '1',
  'lsetstat@openssh.com': '1',
  'statvfs@openssh.com': '2',
  'fstatvfs@openssh.com': '2',
  'fsync@openssh.com': '1',
  'expand-path@openssh.com': '1',
  'copy-data': '1',
  'home-directory': '1',
  'users-groups-by-id@openssh.com': '1',
};

/**
 * What the relay does with one extension request:
 * - `judged`: policy decides `op` on `paths` (as written; undefined when not
 *   UTF-8), then the target gets `packet(paths)` with the judged absolute
 *   paths, and the target's answer is recorded. `alsoReadable`: the index
 *   of the path whose content the operation exposes under a new name, which
 *   must also be allowed as a download.
 * - `metadata`: an unjudged, unrecorded read about `path` (like STAT): the
 *   target gets `packet(abs)` with the absolute path, or the request as it
 *   came when the path cannot be placed.
 * - `handle`: about a handle, relayed as it came when the gateway saw that
 *   handle opened (refused otherwise, like READ on a forged handle).
 * - `copy`: bytes copied on the target from one open file to another,
 *   relayed as it came when `from` was opened to read and `to` to write.
 * - `plain`: relayed as it came (read-only lookups: path resolution like
 *   REALPATH, a user's home directory, the names of user and group ids).
 */
export type ExtensionRequest =
  | { kind: 'judged'; op: FileOp; paths: (string | undefined)[]; alsoReadable?: number; packet: (paths: readonly string[]) => Buffer }
  | { kind: 'metadata'; path: string | undefined; packet: (path: string) => Buffer }
  | { kind: 'handle'; handle: Buffer }
  | { kind: 'copy'; from: Buffer; to: Buffer }
  | { kind: 'plain' };

/** The extensions both the target offered (name → revision, from its VERSION) and the gateway relays. */
export function offerable(target: ReadonlyMap<string, string>): string[] {
  return Object.keys(relayedExtensions).filter((name) => target.get(name) === relayedExtensions[name]);
}

/** The gateway's VERSION: version 3, limits@openssh.com "1" (answered by the gateway), then each relayed extension in `offered`. */
export function versionPacketFor(offered: readonly string[]): Buffer {
  return encodePacket(FXP.VERSION, [3, limitsExtension, '1', ...offered.flatMap((name) => [name, relayedExtensions[name]!])]);
}

/**
 * Reads an extension request's fields (`packet`: the whole EXTENDED packet,
 * its name at offset 9). Undefined for a name the gateway does not relay.
 * Throws a WardenError (bad_request) on a truncated packet.
 */
export function parseExtension(name: string, id: number, packet: Buffer): ExtensionRequest | undefined {
  if (!Object.hasOwn(relayedExtensions, name)) return undefined;
  const r = new PacketReader(packet, 9);
  r.bytes();
  const ext = (fields: Parameters<typeof encodePacket>[1]) => encodePacket(FXP.EXTENDED, [id, name, ...fields]);
  switch (name) {
    case 'posix-rename@openssh.com': {
      // A RENAME that replaces an existing `to` (POSIX rename(2)): judged and recorded as a rename.
      const [from, to] = [r.text(), r.text()];
      return { kind: 'judged', op: 'rename', paths: [from, to], packet: ([a, b]) => ext([a!, b!]) };
    }
    case 'hardlink@openssh.com': {
      // Fields: the existing file, then the new link. Judged like SYMLINK (the new name first, then the file it names).
      const [existing, link] = [r.text(), r.text()];
      return { kind: 'judged', op: 'hardlink', paths: [link, existing], alsoReadable: 1, packet: ([l, e]) => ext([e!, l!]) };
    }
    case 'lsetstat@openssh.com': {
      // SETSTAT that does not follow a final symlink: the attributes pass as they came.
      const path = r.text();
      const attrs = r.rest();
      return { kind: 'judged', op: 'setstat', paths: [path], packet: ([p]) => ext([p!, { raw: attrs }]) };
    }
    case 'statvfs@openssh.com':
      // The file system's sizes and free space (`df`): metadata like STAT.
      return { kind: 'metadata', path: r.text(), packet: (p) => ext([p]) };
    case 'fstatvfs@openssh.com':
    case 'fsync@openssh.com':
      return { kind: 'handle', handle: r.bytes() };
    case 'copy-data': {
      // read-from-handle, uint64 offset, uint64 length, write-to-handle, uint64 offset. The numbers are not needed: read as
      // uint32 halves so that any uint64 passes, the packet going on as it came.
      const from = r.bytes();
      for (let i = 0; i < 4; i++) r.u32();
      const to = r.bytes();
      r.u32();
      r.u32();
      return { kind: 'copy', from, to };
    }
    default:
      // expand-path@openssh.com (REALPATH that also expands `~`), home-directory (a user's home, for `~user`) and
      // users-groups-by-id@openssh.com (the names `ls -l` shows for ids): read-only lookups, relayed like REALPATH.
      return { kind: 'plain' };
  }
}
