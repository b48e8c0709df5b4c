import { encodePacket, FXF, FXP, PacketReader } from './sftp-packets.ts';

/**
 * A client's SFTP request read into what the relay acts on, and the packet
 * the target gets once its paths are judged. Pure: no sockets, no policy.
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-secsh-filexfer-02
 *   (section 6, requests) and openssh-portable PROTOCOL (SYMLINK order).
 *
 * Paths are as the client wrote them, undefined when their bytes are not
 * UTF-8 (the relay refuses those: a judged path must be the one sent).
 * `rest` holds the bytes after the fields read (pflags, attributes,
 * anything a newer client appends) and is passed on as it came.
 */
export type SftpRequest =
  | { op: 'open'; id: number; path: string | undefined; flags: number; rest: Buffer }
  | { op: 'opendir'; id: number; path: string | undefined }
  | { op: 'read'; id: number; handle: Buffer; offset: number; length: number }
  | { op: 'close' | 'fstat' | 'readdir' | 'fsetstat'; id: number; handle: Buffer }
  | { op: 'stat' | 'lstat' | 'readlink'; id: number; path: string | undefined; rest: Buffer }
  | { op: 'realpath'; id: number }
  | { op: 'remove' | 'rmdir' | 'mkdir' | 'setstat'; id: number; path: string | undefined; rest: Buffer }
  | { op: 'rename'; id: number; from: string | undefined; to: string | undefined; rest: Buffer }
  | { op: 'symlink'; id: number; link: string | undefined; to: string | undefined }
  | { op: 'extended'; id: number; name: string }
  | { op: 'unsupported'; id: number };

/** A request whose paths are judged, then rewritten into the packet the target gets. */
export type PathRequest = Extract<SftpRequest, { op: 'open' | 'opendir' | 'stat' | 'lstat' | 'readlink' | 'remove' | 'rmdir' | 'mkdir' | 'setstat' | 'rename' | 'symlink' }>;

/** The head of a streaming WRITE (its payload follows as body frames). */
export interface WriteHead {
  id: number;
  handle: Buffer;
  offset: number;
}

/** OPEN pflags that make it an upload (only such a handle may WRITE). */
const writeFlags = FXF.WRITE | FXF.APPEND | FXF.CREAT | FXF.TRUNC;

const handleOps = { [FXP.CLOSE]: 'close', [FXP.FSTAT]: 'fstat', [FXP.READDIR]: 'readdir', [FXP.FSETSTAT]: 'fsetstat' } as const;
const statOps = { [FXP.STAT]: 'stat', [FXP.LSTAT]: 'lstat', [FXP.READLINK]: 'readlink' } as const;
const changeOps = { [FXP.REMOVE]: 'remove', [FXP.RMDIR]: 'rmdir', [FXP.MKDIR]: 'mkdir', [FXP.SETSTAT]: 'setstat' } as const;
const typeOf = {
  open: FXP.OPEN, opendir: FXP.OPENDIR, stat: FXP.STAT, lstat: FXP.LSTAT, readlink: FXP.READLINK,
  remove: FXP.REMOVE, rmdir: FXP.RMDIR, mkdir: FXP.MKDIR, setstat: FXP.SETSTAT, rename: FXP.RENAME, symlink: FXP.SYMLINK,
} as const;

const has = <T extends object>(table: T, type: number): type is keyof T & number => Object.hasOwn(table, type);

/**
 * Reads one whole request packet (not INIT, not a WRITE: those come as a
 * head). A type the gateway does not know is `unsupported`, to be refused.
 * `clientOpenSSH`: the client speaks OpenSSH's SYMLINK order (target first).
 * Throws a WardenError (bad_request) on a truncated packet or an offset past 2^53.
 */
export function parseRequest(packet: Buffer, clientOpenSSH: boolean): SftpRequest {
  const type = packet[4]!;
  const r = new PacketReader(packet);
  const id = r.u32();
  if (has(handleOps, type)) return { op: handleOps[type], id, handle: r.bytes() };
  if (has(statOps, type)) return { op: statOps[type], id, path: r.text(), rest: r.rest() };
  if (has(changeOps, type)) return { op: changeOps[type], id, path: r.text(), rest: r.rest() };
  switch (type) {
    case FXP.OPEN: {
      const path = r.text();
      const rest = r.rest();
      return { op: 'open', id, path, flags: r.u32(), rest };
    }
    case FXP.OPENDIR:
      return { op: 'opendir', id, path: r.text() };
    case FXP.READ:
      return { op: 'read', id, handle: r.bytes(), offset: r.u64(), length: r.u32() };
    case FXP.REALPATH:
      return { op: 'realpath', id };
    case FXP.RENAME:
      return { op: 'rename', id, from: r.text(), to: r.text(), rest: r.rest() };
    case FXP.SYMLINK: {
      // OpenSSH swapped the two paths (target first), and its clients and servers expect that; others follow the draft.
      const [a, b] = [r.text(), r.text()];
      const [link, to] = clientOpenSSH ? [b, a] : [a, b];
      return { op: 'symlink', id, link, to };
    }
    case FXP.EXTENDED:
      return { op: 'extended', id, name: r.bytes().toString() };
    default:
      return { op: 'unsupported', id };
  }
}

/** Reads a WRITE's head (id, handle, offset); its data length was checked by the framer. */
export function parseWriteHead(head: Buffer): WriteHead {
  const r = new PacketReader(head);
  return { id: r.u32(), handle: r.bytes(), offset: r.u64() };
}

/** Whether an OPEN's pflags ask to write (then the file is an upload), and whether to read as well. */
export function openMode(flags: number): { upload: boolean; alsoRead: boolean } {
  const upload = (flags & writeFlags) !== 0;
  return { upload, alsoRead: upload && (flags & FXF.READ) !== 0 };
}

/** The paths a request is judged on, as written (SYMLINK: the link, then what it points to). */
export function pathsOf(q: PathRequest): (string | undefined)[] {
  if (q.op === 'rename') return [q.from, q.to];
  if (q.op === 'symlink') return [q.link, q.to];
  return [q.path];
}

/**
 * The packet the target gets: the request with its judged paths (`paths`,
 * in `pathsOf` order). A SYMLINK's second path goes as the client wrote it
 * (it is resolved where the link lies, not from the home directory), in the
 * order the target speaks (`targetOpenSSH`: target first). Extra bytes after
 * an OPENDIR's or a SYMLINK's paths are dropped, as those have no more fields.
 */
export function withPaths(q: PathRequest, paths: readonly string[], targetOpenSSH: boolean): Buffer {
  const [first] = paths as [string];
  switch (q.op) {
    case 'opendir':
      return encodePacket(FXP.OPENDIR, [q.id, first]);
    case 'rename':
      return encodePacket(FXP.RENAME, [q.id, first, paths[1]!, { raw: q.rest }]);
    case 'symlink':
      return encodePacket(FXP.SYMLINK, [q.id, ...(targetOpenSSH ? [q.to!, first] : [first, q.to!])]);
    default:
      return encodePacket(typeOf[q.op], [q.id, first, { raw: q.rest }]);
  }
}

/** A READ asking for at most `length` bytes (a shorter answer is valid SFTP: the client asks again from where it ends). */
export function cappedRead(q: Extract<SftpRequest, { op: 'read' }>, length: number): Buffer {
  return encodePacket(FXP.READ, [q.id, q.handle, { u64: q.offset }, length]);
}
