import ssh2 from 'ssh2';
import type { Attributes, Client, FileEntry, InputAttributes, SFTPWrapper } from 'ssh2';
import type { FileOp } from '../../core/policy/files.ts';
import type { ChannelContext } from './channel-context.ts';
import { beginFile, decideFile, fileEvent, resolvePath, TransferTally, type FileOutcome } from './file-events.ts';
import { RequestGate } from './sftp-flow.ts';
import { limitsExtension, offerLimits, sendLimits, targetLimits, type SftpLimits } from './sftp-limits.ts';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;
const writeFlags = OPEN_MODE.WRITE | OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.TRUNC;

type Reply = (err?: Error | null) => void;
interface OpenHandle {
  up: Buffer;
  dir: boolean;
  /** Files: whether it was opened to write (upload) — only then may WRITE use it. */
  upload: boolean;
  path: string;
  outcome?: FileOutcome;
}

/**
 * The SFTP subsystem (`sftp`, and `scp` in its default mode): ssh2's SFTP
 * server on the client's channel, an SFTP client to the target on the
 * session's upstream connection, and each request translated in between.
 * Requests reach the target in the order the client sent them (one queue),
 * each one that touches a file judged by policy first on its absolute,
 * normalised path; a refusal is SSH_FX_PERMISSION_DENIED with the policy's
 * message. Answers go back as the target gives them, keyed by request id,
 * so a client keeps many READs and WRITEs in flight: those are judged once,
 * when their handle was opened, and go to the target as soon as they arrive
 * (up to RequestGate's bound, sftp-flow.ts). Transfers are recorded when
 * their handle closes (or the channel goes) with bytes and SHA-256;
 * listings, removals, renames, mkdir, rmdir, setstat and symlinks as they
 * happen. Metadata reads (stat, realpath,
 * readlink) pass unjudged and unrecorded. Resolves when the channel is gone.
 */
export async function runSftp(sftp: SFTPWrapper, c: ChannelContext): Promise<void> {
  const handles = new Map<string, OpenHandle>();
  let nextHandle = 0;
  let up: SFTPWrapper | undefined;
  let home: string | undefined;
  let closed = false;
  // Stated to the client (limits@openssh.com) and the most one READ asks of the target, so a DATA reply fits the client's packets.
  let limits: SftpLimits | undefined;
  const offered = offerLimits(sftp);
  const ready = openTarget(c.upstream).then(
    (t) => {
      ({ up, home } = t);
      limits = targetLimits(up);
      up.on('close', () => sftp.end());
      if (closed) up.end();
    },
    (err: Error) => {
      c.record({ type: 'notice', at: c.clock.now().toISOString(), message: `sftp: the target's SFTP subsystem could not be opened: ${err.message}` });
      sftp.end();
      throw err;
    },
  );
  // One queue: each request is decided and sent upstream only after the previous one was sent
  // (not answered: answers come back in any order).
  let tail: Promise<unknown> = ready;
  let queued = 0;
  const enqueue = (fn: (up: SFTPWrapper) => unknown) => {
    queued++;
    tail = tail
      .then(() => (closed ? undefined : fn(up!)))
      .catch(() => undefined)
      .finally(() => {
        queued--;
        gate.resume();
      });
  };
  const gate = new RequestGate(sftp, () => queued);
  /**
   * READ and WRITE: with nothing queued ahead and a slot free (a transfer's usual state) sent at once,
   * without a trip through the queue; otherwise queued, in order, until a slot frees up.
   * `send` gets its slot's release, to call once the target answered. Returns whether it ran now.
   */
  const dataOp = (send: (up: SFTPWrapper, release: () => void) => void): boolean => {
    if (queued === 0 && up !== undefined && !closed && gate.tryAcquire()) {
      send(up, gate.release);
      return true;
    }
    enqueue(async (u) => {
      await gate.acquire();
      if (closed) return gate.release();
      send(u, gate.release);
    });
    return false;
  };
  const reply = (reqid: number, ok?: () => void): Reply => (err) => {
    if (err) {
      const code = (err as { code?: unknown }).code;
      return void sftp.status(reqid, typeof code === 'number' ? code : STATUS_CODE.FAILURE, err.message);
    }
    if (ok) ok();
    else sftp.status(reqid, STATUS_CODE.OK);
  };
  const handleOf = (reqid: number, h: Buffer): OpenHandle | undefined => {
    const open = handles.get(h.toString('hex'));
    if (!open) sftp.status(reqid, STATUS_CODE.FAILURE, 'invalid handle');
    return open;
  };
  const newHandle = (open: OpenHandle): Buffer => {
    const h = Buffer.alloc(4);
    h.writeUInt32BE(nextHandle++);
    handles.set(h.toString('hex'), open);
    return h;
  };
  /** Judges an operation on paths; on refusal answers the client and records it. Returns the outcome to finish, or undefined. */
  const judge = async (reqid: number, op: FileOp, raw: string[]): Promise<FileOutcome | undefined> => {
    const paths = raw.map((p) => resolvePath(home, p));
    if (paths.some((p) => p === undefined)) {
      // fail closed: a path that cannot be placed cannot be judged.
      sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, 'warden: this path cannot be resolved on the target, so it is refused');
      return undefined;
    }
    const d = await decideFile(c, op, paths as string[]);
    const outcome = beginFile(c, 'sftp', op, paths as string[], d.verdict);
    if (d.refused === undefined) return outcome;
    sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, `warden: ${d.refused}`);
    c.record(fileEvent({ ...outcome, error: { code: 'blocked', message: d.refused } }));
    return undefined;
  };
  /** Sends an operation the target answers with a status, and records it with that answer. */
  const simple = (op: FileOp, paths: string[], send: (up: SFTPWrapper, abs: string[], done: Reply) => void) => (reqid: number) =>
    enqueue(async (u) => {
      const o = await judge(reqid, op, paths);
      if (!o) return;
      send(u, o.paths as string[], (err) => {
        reply(reqid)(err);
        c.record(fileEvent(err ? { ...o, error: { code: 'target', message: err.message } } : o));
      });
    });

  sftp.on('OPEN', (reqid: number, filename: string, flags: number, attrs: InputAttributes) =>
    enqueue(async (u) => {
      const upload = (flags & writeFlags) !== 0;
      const o = await judge(reqid, upload ? 'upload' : 'download', [filename]);
      if (!o) return;
      // Opened to read and write: the read side must be allowed as well.
      if (upload && (flags & OPEN_MODE.READ) !== 0 && !(await judge(reqid, 'download', [filename]))) return;
      o.tally = new TransferTally();
      const path = o.paths[0]!;
      u.open(path, flags, attrs, (err, h) => {
        if (err) {
          reply(reqid)(err);
          return c.record(fileEvent({ ...o, error: { code: 'target', message: err.message } }));
        }
        sftp.handle(reqid, newHandle({ up: h, dir: false, upload, path, outcome: o }));
      });
    }),
  );
  sftp.on('READ', (reqid: number, h: Buffer, offset: number, len: number) =>
    dataOp((u, release) => {
      const open = handleOf(reqid, h);
      if (!open) return release();
      if (len === 0) return (release(), sftp.data(reqid, Buffer.alloc(0)));
      // A shorter answer than asked is a valid SFTP read; the client asks again from where it ends.
      const want = Math.min(len, limits!.maxReadLength);
      u.read(open.up, Buffer.allocUnsafe(want), 0, want, offset, (err, n, data) => {
        release();
        if (err) return reply(reqid)(err);
        if (n === 0) return sftp.status(reqid, STATUS_CODE.EOF);
        const chunk = data.subarray(0, n);
        if (!open.upload) open.outcome?.tally?.pass(offset, chunk);
        c.bytes(0, n);
        sftp.data(reqid, chunk);
      });
    }),
  );
  sftp.on('WRITE', (reqid: number, h: Buffer, offset: number, data: Buffer) => {
    let bytes = data;
    const now = dataOp((u, release) => {
      const open = handleOf(reqid, h);
      if (!open) return release();
      // fail closed: only a handle judged as an upload may write.
      if (!open.upload) return (release(), sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, 'warden: this file was not opened for writing'));
      // Both copy what they keep (the tally a held chunk, ssh2 the packet it sends), so the packet's bytes pass as they are.
      open.outcome?.tally?.pass(offset, bytes);
      c.bytes(bytes.length, 0);
      u.write(open.up, bytes, 0, bytes.length, offset, (err) => (release(), reply(reqid)(err)));
    });
    // Queued for later: the packet's buffer may be reused meanwhile.
    if (!now) bytes = Buffer.from(data);
  });
  sftp.on('CLOSE', (reqid: number, h: Buffer) =>
    enqueue((u) => {
      const open = handleOf(reqid, h);
      if (!open) return;
      handles.delete(h.toString('hex'));
      u.close(open.up, (err) => {
        reply(reqid)(err);
        if (open.outcome) c.record(fileEvent(err ? { ...open.outcome, error: { code: 'target', message: err.message } } : open.outcome));
      });
    }),
  );
  sftp.on('FSTAT', (reqid: number, h: Buffer) =>
    enqueue((u) => {
      const open = handleOf(reqid, h);
      if (open) u.fstat(open.up, (err, st) => reply(reqid, () => sftp.attrs(reqid, st))(err));
    }),
  );
  sftp.on('FSETSTAT', (reqid: number, h: Buffer, attrs: InputAttributes) =>
    enqueue(async (u) => {
      const open = handleOf(reqid, h);
      if (!open) return;
      const o = await judge(reqid, 'setstat', [open.path]);
      if (o) u.fsetstat(open.up, attrs, (err) => (reply(reqid)(err), c.record(fileEvent(err ? { ...o, error: { code: 'target', message: err.message } } : o))));
    }),
  );
  sftp.on('OPENDIR', (reqid: number, path: string) =>
    enqueue(async (u) => {
      const o = await judge(reqid, 'list', [path]);
      if (!o) return;
      u.opendir(o.paths[0]!, (err, h) => {
        c.record(fileEvent(err ? { ...o, error: { code: 'target', message: err.message } } : o));
        if (err) return reply(reqid)(err);
        sftp.handle(reqid, newHandle({ up: h, dir: true, upload: false, path: o.paths[0]! }));
      });
    }),
  );
  sftp.on('READDIR', (reqid: number, h: Buffer) =>
    enqueue((u) => {
      const open = handleOf(reqid, h);
      if (!open) return;
      // `full`: `.` and `..` pass as the target listed them.
      const readdir = u.readdir as unknown as (h: Buffer, opts: { full: boolean }, cb: (err: Error | undefined, list: FileEntry[]) => void) => void;
      readdir.call(u, open.up, { full: true }, (err, list) => reply(reqid, () => sftp.name(reqid, list))(err));
    }),
  );
  const statLike = (name: 'STAT' | 'LSTAT', fn: 'stat' | 'lstat') =>
    sftp.on(name, (reqid: number, path: string) =>
      enqueue((u) => u[fn](resolvePath(home, path) ?? path, (err, st: Attributes) => reply(reqid, () => sftp.attrs(reqid, st))(err))),
    );
  statLike('STAT', 'stat');
  statLike('LSTAT', 'lstat');
  sftp.on('REALPATH', (reqid: number, path: string) =>
    enqueue((u) => u.realpath(path, (err, abs) => reply(reqid, () => sftp.name(reqid, [{ filename: abs, longname: abs, attrs: {} as Attributes }]))(err))),
  );
  sftp.on('READLINK', (reqid: number, path: string) =>
    enqueue((u) => u.readlink(resolvePath(home, path) ?? path, (err, target) => reply(reqid, () => sftp.name(reqid, [{ filename: target, longname: target, attrs: {} as Attributes }]))(err))),
  );
  sftp.on('REMOVE', (reqid: number, path: string) => simple('remove', [path], (u, [p], done) => u.unlink(p!, done))(reqid));
  sftp.on('RMDIR', (reqid: number, path: string) => simple('rmdir', [path], (u, [p], done) => u.rmdir(p!, done))(reqid));
  sftp.on('MKDIR', (reqid: number, path: string, attrs: InputAttributes) => simple('mkdir', [path], (u, [p], done) => u.mkdir(p!, attrs, done))(reqid));
  sftp.on('SETSTAT', (reqid: number, path: string, attrs: InputAttributes) => simple('setstat', [path], (u, [p], done) => u.setstat(p!, attrs, done))(reqid));
  sftp.on('RENAME', (reqid: number, from: string, to: string) => simple('rename', [from, to], (u, [a, b], done) => u.rename(a!, b!, done))(reqid));
  // The link is judged at its path and at what it points to (resolved from the home directory as written).
  sftp.on('SYMLINK', (reqid: number, linkPath: string, targetPath: string) =>
    simple('symlink', [linkPath, targetPath], (u, [link], done) => u.symlink(targetPath, link!, done))(reqid),
  );
  // Only limits@openssh.com is offered; any other extension is refused rather than relayed unjudged.
  sftp.on('EXTENDED', (reqid: number, name: string) => {
    if (name !== limitsExtension || !offered()) return sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED);
    enqueue(() => sendLimits(sftp, reqid, limits!));
  });

  return new Promise<void>((resolve) => {
    const finish = (clientDone: boolean) => {
      if (closed) return;
      closed = true;
      c.ended.removeEventListener('abort', sessionEnded);
      // Transfers still open when the channel went (client gone, session killed) are recorded as cut short.
      for (const open of handles.values()) {
        if (open.outcome) c.record(fileEvent({ ...open.outcome, error: { code: 'interrupted', message: 'the channel closed before the file was closed' } }));
      }
      handles.clear();
      gate.drain();
      up?.end();
      // scp (SFTP mode) fails without an exit status, as sftp-server sends one when its client is done.
      if (clientDone) exitStatus(sftp, 0);
      sftp.end();
      resolve();
    };
    const sessionEnded = () => finish(false);
    c.ended.addEventListener('abort', sessionEnded, { once: true });
    sftp.on('close', () => finish(false));
    sftp.on('end', () => finish(true));
    sftp.on('error', () => undefined);
  });
}

/** ssh2 has no exit() on its SFTP server object; the channel request is sent through its protocol. */
function exitStatus(sftp: SFTPWrapper, code: number): void {
  const chan = sftp as unknown as { _protocol?: { exitStatus(id: number, code: number): void }; outgoing?: { id: number; state: string } };
  if (chan.outgoing?.state === 'open') chan._protocol?.exitStatus(chan.outgoing.id, code);
}

/** The target's SFTP subsystem on the session's connection, and the login's home directory there (for relative paths). */
async function openTarget(upstream: Promise<Client>): Promise<{ up: SFTPWrapper; home: string | undefined }> {
  const client = await upstream;
  const up = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
  up.on('error', () => undefined);
  // fail closed: without a home directory relative paths are refused, absolute ones still work.
  const home = await new Promise<string | undefined>((resolve) => up.realpath('.', (err, abs) => resolve(err ? undefined : abs)));
  return { up, home };
}
