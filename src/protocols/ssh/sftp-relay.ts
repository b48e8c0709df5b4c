import type { Channel, Client, ClientChannel, ServerChannel } from 'ssh2';
import { asWardenError } from '../../core/errors.ts';
import type { FileOp } from '../../core/policy/files.ts';
import type { ChannelContext } from './channel-context.ts';
import { beginFile, decideFile, fileEvent, resolvePath, TransferTally, type FileOutcome } from './file-events.ts';
import { encodePacket, FX, FXF, FXP, PacketReader, SftpFramer, statusPacket, type Frame } from './sftp-packets.ts';
import { fallbackLimits, limitsExtension, limitsFromReply, limitsReply, maxClientPacket, versionPacket, type SftpLimits } from './sftp-limits.ts';

/** The longest answer taken from a target (DATA streams; anything else is held whole, a NAME listing at most). */
const maxTargetPacket = 1024 * 1024;
/** Requests outstanding at the target past which the client is paused (OpenSSH keeps about 64 in flight). */
const maxPending = 1024;
/** Gateway answers waiting for a DATA answer to finish past which the client is paused. */
const maxInjected = 256;
const writeFlags = FXF.WRITE | FXF.APPEND | FXF.CREAT | FXF.TRUNC;
const openssh = /^SSH-2\.0-(?:OpenSSH|dropbear)/;

interface OpenHandle {
  dir: boolean;
  /** Files: whether it was opened to write (upload) — only then may WRITE use it. */
  upload: boolean;
  path: string;
  outcome?: FileOutcome;
}

/** What the gateway remembers of a request sent to the target, until its answer. */
type Pending =
  | { kind: 'read'; offset: number; length: number; tally?: TransferTally }
  | { kind: 'open'; handle: OpenHandle }
  | { kind: 'recorded'; outcome: FileOutcome }
  | { kind: 'plain' };

/**
 * The SFTP subsystem (`sftp`, and `scp` in its default mode): a relay of
 * SFTP packets between the client's channel and the target's `sftp`
 * subsystem on the session's upstream connection.
 *
 * Client → target: every request is parsed and, when it touches a file,
 * judged by policy on its absolute, normalised path before it is sent (the
 * relay stops reading the client meanwhile, so requests keep their order);
 * the target gets that path, so what runs is what was judged. A refusal is
 * SSH_FX_PERMISSION_DENIED with the policy's message, from the gateway.
 * READ and WRITE are judged once, when their handle was opened; a WRITE's
 * payload streams to the target once its header is read. Unknown types and
 * extensions other than limits@openssh.com are refused (fail closed).
 * Target → client: answers pass as they come; a DATA answer's payload
 * streams to the client as it arrives, hashed on the way (TransferTally).
 * Transfers are recorded when their handle closes (or the channel goes)
 * with bytes and SHA-256; listings, removals, renames, mkdir, rmdir, setstat
 * and symlinks with the target's answer. Metadata reads (stat, realpath,
 * readlink) pass unjudged and unrecorded.
 *
 * Memory is bounded both ways: while one side's channel refuses writes
 * (write() false, until 'drain'), the side feeding it is not read; the
 * client is not read either while a decision is pending or 1024 requests
 * are outstanding. Malformed input from either side ends the
 * channel with a notice in the recording. Resolves when the channel is gone.
 */
export async function runSftp(client: ServerChannel, c: ChannelContext): Promise<void> {
  return new SftpRelay(client, c).run();
}

class SftpRelay {
  readonly #client: ServerChannel;
  readonly #c: ChannelContext;
  #target: ClientChannel | undefined;
  readonly #requests = new SftpFramer(FXP.WRITE, maxClientPacket);
  readonly #answers = new SftpFramer(FXP.DATA, maxTargetPacket);
  readonly #pending = new Map<number, Pending>();
  readonly #handles = new Map<string, OpenHandle>();
  #home: string | undefined;
  #limits: SftpLimits = fallbackLimits;
  #clientOpenSSH: boolean;
  #targetOpenSSH = false;
  /** The gateway's own requests while it sets up the target; answers go to the waiter. */
  #setup: ((packet: Buffer) => void) | undefined;
  #ready = false;
  #started = false;
  #judging = false;
  #clientEnded = false;
  #targetEnded = false;
  /** The WRITE whose payload is streaming: to the target with its tally, or dropped (refused). */
  #write: { forward: boolean; offset: number; tally?: TransferTally | undefined } | undefined;
  /** The DATA answer whose payload is streaming to the client. */
  #data: { offset: number; tally?: TransferTally | undefined } | undefined;
  /** Gateway answers held while a DATA answer is mid-way (they may only go between packets). */
  #injected: Buffer[] = [];
  #clientOut: Buffer[] = [];
  #targetOut: Buffer[] = [];
  #pumping = false;
  #clientFull = false;
  #targetFull = false;
  #closed = false;
  #finish: (clientDone: boolean) => void = () => undefined;

  constructor(client: ServerChannel, c: ChannelContext) {
    this.#client = client;
    this.#c = c;
    this.#clientOpenSSH = openssh.test(identOf(client));
  }

  run(): Promise<void> {
    const client = this.#client;
    client.pause();
    client.on('data', (chunk: Buffer) => {
      this.#requests.push(chunk);
      this.#pumpRequests();
    });
    client.on('drain', () => {
      this.#clientFull = false;
      this.#flow();
    });
    client.on('error', () => undefined);
    const done = new Promise<void>((resolve) => {
      const sessionEnded = () => this.#finish(false);
      this.#finish = (clientDone) => {
        if (this.#closed) return;
        this.#closed = true;
        this.#c.ended.removeEventListener('abort', sessionEnded);
        // Transfers still open when the channel went (client gone, session killed) are recorded as cut short.
        for (const open of this.#handles.values()) {
          if (open.outcome && !open.dir) this.#c.record(fileEvent({ ...open.outcome, error: { code: 'interrupted', message: 'the channel closed before the file was closed' } }));
        }
        this.#handles.clear();
        this.#target?.close();
        // scp (SFTP mode) fails without an exit status, as sftp-server sends one when its client is done.
        if (clientDone) client.exit(0);
        client.end();
        resolve();
      };
      this.#c.ended.addEventListener('abort', sessionEnded, { once: true });
      client.on('close', () => this.#finish(false));
      // The client is done: the target finishes what it was sent, answers, and closes (then the client's channel ends).
      client.on('end', () => {
        this.#clientEnded = true;
        this.#pumpRequests();
      });
    });
    this.#openTarget().then(
      () => {
        this.#ready = true;
        this.#pumpRequests();
      },
      (err: unknown) => this.#fail(`the target's SFTP subsystem could not be opened: ${asWardenError(err).message}`),
    );
    return done;
  }

  /** The target's subsystem, version 3, its limits (when offered) and the login's home directory (for relative paths). */
  async #openTarget(): Promise<void> {
    const conn = await this.#c.upstream;
    this.#targetOpenSSH = openssh.test(identOf(conn));
    const target = await new Promise<ClientChannel>((resolve, reject) => conn.subsys('sftp', (err, ch) => (err ? reject(err) : resolve(ch))));
    this.#target = target;
    if (this.#closed) return void target.close();
    target.on('error', () => undefined);
    target.on('data', (chunk: Buffer) => {
      this.#answers.push(chunk);
      this.#pumpAnswers();
    });
    target.on('drain', () => {
      this.#targetFull = false;
      this.#flow();
    });
    target.on('close', () => {
      if (this.#clientEnded) return this.#finish(true);
      this.#fail("the target's SFTP subsystem ended before the client was done");
    });
    const ask = (packet: Buffer) => {
      target.write(packet);
      return new Promise<Buffer>((resolve) => (this.#setup = resolve));
    };
    const version = await ask(encodePacket(FXP.INIT, [3]));
    const v = new PacketReader(version);
    if (version[4] !== FXP.VERSION || v.u32() < 3) throw new Error('the target does not speak SFTP version 3');
    let limitsOffered = false;
    while (!v.done) {
      const [name, value] = [v.bytes().toString(), v.bytes().toString()];
      if (name === limitsExtension && value === '1') limitsOffered = true;
    }
    if (limitsOffered) {
      const reply = await ask(encodePacket(FXP.EXTENDED, [1, limitsExtension]));
      if (reply[4] === FXP.EXTENDED_REPLY) this.#limits = limitsFromReply(reply);
    }
    // fail closed: without a home directory relative paths are refused, absolute ones still work.
    const home = await ask(encodePacket(FXP.REALPATH, [2, '.']));
    if (home[4] === FXP.NAME) {
      const r = new PacketReader(home);
      r.u32();
      if (r.u32() >= 1) this.#home = r.text();
    }
    this.#setup = undefined;
  }

  #pumpRequests(): void {
    this.#pumping = true;
    try {
      while (this.#ready && !this.#judging && !this.#closed) {
        const f = this.#requests.next();
        if (!f) break;
        this.#onRequest(f);
      }
    } catch (err) {
      return this.#fail(`the client sent ${asWardenError(err).message.replace(/^sftp: /, '')}`);
    } finally {
      this.#pumping = false;
      this.#flush();
    }
    // Only once every request the client sent is with the target: sftp-server exits at its input's end.
    if (this.#clientEnded && this.#ready && !this.#judging && this.#requests.buffered === 0 && !this.#closed && !this.#targetEnded) {
      this.#targetEnded = true;
      this.#target!.end();
    }
    this.#flow();
  }

  #pumpAnswers(): void {
    this.#pumping = true;
    try {
      for (let f = this.#answers.next(); f && !this.#closed; f = this.#answers.next()) {
        if (this.#setup) {
          if (f.kind !== 'whole') throw new Error('an unexpected answer');
          this.#setup(f.packet);
          continue;
        }
        this.#onAnswer(f);
      }
    } catch (err) {
      return this.#fail(`the target sent ${asWardenError(err).message.replace(/^sftp: /, '')}`);
    } finally {
      this.#pumping = false;
      this.#flush();
    }
    this.#flow();
  }

  /** Pauses a side whose bytes cannot go anywhere now; resumes it once they can. */
  #flow(): void {
    if (this.#closed) return;
    const holdClient = !this.#ready || this.#judging || this.#targetFull || this.#pending.size >= maxPending || this.#injected.length >= maxInjected;
    if (holdClient) this.#client.pause();
    else this.#client.resume();
    if (this.#clientFull) this.#target?.pause();
    else this.#target?.resume();
  }

  /**
   * Bytes for either side are gathered while a pump runs and written once at
   * its end: a DATA head, its payload and the next answers then travel in
   * one SSH packet instead of one each (a 13-byte head alone costs a whole
   * packet's encryption and MAC).
   */
  #toTarget(b: Buffer): void {
    this.#targetOut.push(b);
    if (!this.#pumping) this.#flush();
  }

  #toClient(b: Buffer): void {
    this.#clientOut.push(b);
    if (!this.#pumping) this.#flush();
  }

  #flush(): void {
    if (this.#closed) return;
    if (this.#clientOut.length > 0 && !this.#client.write(joined(this.#clientOut.splice(0)))) this.#clientFull = true;
    if (this.#targetOut.length > 0 && !this.#target!.write(joined(this.#targetOut.splice(0)))) this.#targetFull = true;
  }

  /** An answer of the gateway's own: between packets of the target's answers, never inside a streaming DATA. */
  #answer(b: Buffer): void {
    if (this.#data) this.#injected.push(b);
    else this.#toClient(b);
  }

  #onRequest(f: Frame): void {
    if (!this.#started) {
      // The client's INIT is answered by the gateway: version 3, its one extension.
      if (f.kind !== 'whole' || f.type !== FXP.INIT || new PacketReader(f.packet).u32() < 3) throw new Error('something other than INIT (version 3 or later) first');
      this.#started = true;
      return this.#toClient(versionPacket);
    }
    if (f.kind === 'body') return this.#writeBody(f.chunk, f.last);
    if (f.kind === 'head') return this.#writeHead(f.head, f.bodyLength);
    const p = f.packet;
    const r = new PacketReader(p);
    const id = r.u32();
    if (this.#pending.has(id)) throw new Error(`request id ${id} again while it is outstanding`);
    const send = (pending: Pending, packet = p) => {
      this.#pending.set(id, pending);
      this.#toTarget(packet);
    };
    switch (f.type) {
      case FXP.OPEN: {
        const path = r.text();
        const after = r.rest();
        const flags = r.u32();
        const upload = (flags & writeFlags) !== 0;
        return this.#judged(id, upload ? 'upload' : 'download', [path], async (o) => {
          // Opened to read and write: the read side must be allowed as well.
          if (upload && (flags & FXF.READ) !== 0 && !(await this.#judge(id, 'download', [path]))) return;
          o.tally = new TransferTally();
          send({ kind: 'open', handle: { dir: false, upload, path: o.paths[0]!, outcome: o } }, encodePacket(FXP.OPEN, [id, o.paths[0]!, { raw: after }]));
        });
      }
      case FXP.OPENDIR: {
        const path = r.text();
        return this.#judged(id, 'list', [path], (o) => send({ kind: 'open', handle: { dir: true, upload: false, path: o.paths[0]!, outcome: o } }, encodePacket(FXP.OPENDIR, [id, o.paths[0]!])));
      }
      case FXP.READ: {
        const handle = this.#handleOf(id, r.bytes());
        if (!handle) return;
        const offset = r.u64();
        // A shorter answer than asked is a valid SFTP read; the client asks again from where it ends.
        const asked = r.u32();
        const length = Math.min(asked, this.#limits.maxReadLength);
        const packet = length === asked ? p : encodePacket(FXP.READ, [id, handleBytes(p), { u64: offset }, length]);
        return send({ kind: 'read', offset, length, tally: handle.upload ? undefined : handle.outcome?.tally }, packet);
      }
      case FXP.CLOSE: {
        const raw = r.bytes();
        const handle = this.#handleOf(id, raw);
        if (!handle) return;
        this.#handles.delete(raw.toString('hex'));
        // A listing was recorded when opened; a transfer is recorded with the target's answer to its close.
        return send(handle.outcome && !handle.dir ? { kind: 'recorded', outcome: handle.outcome } : { kind: 'plain' });
      }
      case FXP.FSTAT:
      case FXP.READDIR:
        return void (this.#handleOf(id, r.bytes()) && send({ kind: 'plain' }));
      case FXP.FSETSTAT: {
        const handle = this.#handleOf(id, r.bytes());
        if (!handle) return;
        return this.#judged(id, 'setstat', [handle.path], (o) => send({ kind: 'recorded', outcome: o }));
      }
      case FXP.STAT:
      case FXP.LSTAT:
      case FXP.READLINK: {
        const path = r.text();
        const abs = path === undefined ? undefined : resolvePath(this.#home, path);
        // Unjudged reads of metadata; the target gets the normalised path when there is one, as written otherwise.
        return send({ kind: 'plain' }, abs === undefined ? p : encodePacket(f.type, [id, abs, { raw: r.rest() }]));
      }
      case FXP.REALPATH:
        return send({ kind: 'plain' });
      case FXP.REMOVE:
      case FXP.RMDIR:
      case FXP.MKDIR:
      case FXP.SETSTAT: {
        const op = ({ [FXP.REMOVE]: 'remove', [FXP.RMDIR]: 'rmdir', [FXP.MKDIR]: 'mkdir', [FXP.SETSTAT]: 'setstat' } as const)[f.type];
        const path = r.text();
        return this.#judged(id, op, [path], (o) => send({ kind: 'recorded', outcome: o }, encodePacket(f.type, [id, o.paths[0]!, { raw: r.rest() }])));
      }
      case FXP.RENAME: {
        const [from, to] = [r.text(), r.text()];
        return this.#judged(id, 'rename', [from, to], (o) => send({ kind: 'recorded', outcome: o }, encodePacket(FXP.RENAME, [id, o.paths[0]!, o.paths[1]!, { raw: r.rest() }])));
      }
      case FXP.SYMLINK: {
        // OpenSSH swapped the two paths (target first), and its clients and servers expect that; others follow the draft.
        const [a, b] = [r.text(), r.text()];
        const [link, to] = this.#clientOpenSSH ? [b, a] : [a, b];
        // The link is judged at its path and at what it points to (resolved from the home directory as written); the latter is sent as written.
        return this.#judged(id, 'symlink', [link, to], (o) => {
          const pair = this.#targetOpenSSH ? [to!, o.paths[0]!] : [o.paths[0]!, to!];
          send({ kind: 'recorded', outcome: o }, encodePacket(FXP.SYMLINK, [id, ...pair]));
        });
      }
      case FXP.EXTENDED: {
        const name = r.bytes().toString();
        // Only limits@openssh.com is offered, and answered by the gateway; any other extension is refused rather than relayed unjudged.
        return this.#answer(name === limitsExtension ? limitsReply(id, this.#limits) : statusPacket(id, FX.OP_UNSUPPORTED, 'warden: this SFTP extension is not supported'));
      }
      default:
        // fail closed: a request the gateway cannot read is not passed on.
        return this.#answer(statusPacket(id, FX.OP_UNSUPPORTED, 'warden: this SFTP request is not supported'));
    }
  }

  /** A WRITE's fields: judged by its handle, then its payload streams to the target (or is dropped). */
  #writeHead(head: Buffer, bodyLength: number): void {
    const r = new PacketReader(head);
    const id = r.u32();
    if (this.#pending.has(id)) throw new Error(`request id ${id} again while it is outstanding`);
    const handle = this.#handleOf(id, r.bytes());
    const offset = r.u64();
    let forward = handle !== undefined;
    // fail closed: only a handle judged as an upload may write.
    if (handle && !handle.upload) {
      forward = false;
      this.#answer(statusPacket(id, FX.PERMISSION_DENIED, 'warden: this file was not opened for writing'));
    }
    if (forward) {
      this.#pending.set(id, { kind: 'plain' });
      this.#toTarget(head);
    }
    if (bodyLength > 0) this.#write = { forward, offset, tally: handle?.outcome?.tally };
  }

  #writeBody(chunk: Buffer, last: boolean): void {
    const w = this.#write!;
    if (w.forward) {
      w.tally?.pass(w.offset, chunk);
      this.#c.bytes(chunk.length, 0);
      this.#toTarget(chunk);
    }
    w.offset += chunk.length;
    if (last) this.#write = undefined;
  }

  #onAnswer(f: Frame): void {
    if (f.kind === 'body') {
      const d = this.#data!;
      d.tally?.pass(d.offset, f.chunk);
      d.offset += f.chunk.length;
      this.#c.bytes(0, f.chunk.length);
      this.#toClient(f.chunk);
      if (f.last) this.#dataDone();
      return;
    }
    const r = new PacketReader(f.kind === 'head' ? f.head : f.packet);
    const id = r.u32();
    const pending = this.#pending.get(id);
    if (!pending) throw new Error(`an answer to request ${id}, which is not outstanding`);
    this.#pending.delete(id);
    if (f.kind === 'head') {
      if (pending.kind !== 'read' || f.bodyLength > pending.length) throw new Error('DATA the gateway did not ask for');
      this.#toClient(f.head);
      this.#data = { offset: pending.offset, tally: pending.tally };
      if (f.bodyLength === 0) this.#dataDone();
      return;
    }
    if (![FXP.STATUS, FXP.HANDLE, FXP.NAME, FXP.ATTRS, FXP.EXTENDED_REPLY].includes(f.type as never)) throw new Error(`an answer of unknown type ${f.type}`);
    const failed = f.type === FXP.STATUS ? statusOf(r) : undefined;
    if (pending.kind === 'open') {
      const o = pending.handle.outcome!;
      if (f.type === FXP.HANDLE) {
        this.#handles.set(r.bytes().toString('hex'), pending.handle);
        if (pending.handle.dir) this.#c.record(fileEvent(o));
      } else this.#c.record(fileEvent({ ...o, error: { code: 'target', message: failed ?? 'unexpected answer' } }));
    } else if (pending.kind === 'recorded') {
      const o = pending.outcome;
      this.#c.record(fileEvent(failed === undefined ? o : { ...o, error: { code: 'target', message: failed } }));
    }
    this.#toClient(f.packet);
  }

  #dataDone(): void {
    this.#data = undefined;
    for (const b of this.#injected.splice(0)) this.#toClient(b);
  }

  /** The handle a request names; when the gateway did not see it opened, the client is told and undefined returned (fail closed). */
  #handleOf(id: number, raw: Buffer): OpenHandle | undefined {
    const open = this.#handles.get(raw.toString('hex'));
    if (!open) this.#answer(statusPacket(id, FX.FAILURE, 'invalid handle'));
    return open;
  }

  /** Judges, then runs `then` with the outcome if allowed; reading from the client stops meanwhile, so order is kept. */
  #judged(id: number, op: FileOp, raw: (string | undefined)[], then: (o: FileOutcome) => void | Promise<void>): void {
    this.#judging = true;
    this.#flow();
    void (async () => {
      const o = await this.#judge(id, op, raw);
      if (o && !this.#closed) await then(o);
    })()
      .catch((err: unknown) => this.#fail(`judging a request failed: ${asWardenError(err).message}`))
      .finally(() => {
        this.#judging = false;
        this.#pumpRequests();
      });
  }

  /** Policy for an operation on paths; on refusal answers the client and records it. Returns the outcome to finish, or undefined. */
  async #judge(id: number, op: FileOp, raw: (string | undefined)[]): Promise<FileOutcome | undefined> {
    const paths = raw.map((p) => (p === undefined ? undefined : resolvePath(this.#home, p)));
    if (paths.some((p) => p === undefined)) {
      // fail closed: a path that cannot be placed (or is not UTF-8) cannot be judged.
      this.#answer(statusPacket(id, FX.PERMISSION_DENIED, 'warden: this path cannot be resolved on the target, so it is refused'));
      return undefined;
    }
    const d = await decideFile(this.#c, op, paths as string[]);
    const outcome = beginFile(this.#c, 'sftp', op, paths as string[], d.verdict);
    if (d.refused === undefined) return outcome;
    this.#answer(statusPacket(id, FX.PERMISSION_DENIED, `warden: ${d.refused}`));
    this.#c.record(fileEvent({ ...outcome, error: { code: 'blocked', message: d.refused } }));
    return undefined;
  }

  /** Malformed input or a broken target: noted in the recording, and this channel ends (fail closed). */
  #fail(why: string): void {
    if (this.#closed) return;
    this.#c.record({ type: 'notice', at: this.#c.clock.now().toISOString(), message: `sftp: ${why}` });
    this.#finish(false);
  }
}

/** A STATUS answer: undefined for OK, else its message (or its code when it has none). */
function statusOf(r: PacketReader): string | undefined {
  const code = r.u32();
  if (code === FX.OK) return undefined;
  const message = r.done ? '' : r.bytes().toString();
  return message || `SFTP status ${code}`;
}

function joined(parts: Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** The handle string of a READ or WRITE packet, as it was sent. */
function handleBytes(packet: Buffer): Buffer {
  return new PacketReader(packet, 9).bytes();
}

/** The SSH identification string the other side of a connection sent (ssh2 internals: one field). */
function identOf(x: Channel | Client): string {
  const proto = ((x as unknown as { _client?: unknown })._client ?? x) as { _protocol?: { _remoteIdentRaw?: Buffer | string } };
  return proto._protocol?._remoteIdentRaw?.toString() ?? '';
}
