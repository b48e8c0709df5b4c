import type { ClientChannel, ServerChannel } from 'ssh2';
import { asWardenError } from '../../core/errors.ts';
import type { FileOp } from '../../core/policy/files.ts';
import type { ChannelContext } from './channel-context.ts';
import { beginFile, decideFile, fileEvent, resolvePath, TransferTally, type FileOutcome } from './file-events.ts';
import { relayExtension } from './sftp-extension-relay.ts';
import { offerable, parseExtension, versionPacketFor } from './sftp-extensions.ts';
import { maxPending, SftpFlow } from './sftp-flow.ts';
import { SftpHandles, type OpenHandle, type Pending } from './sftp-handles.ts';
import { greetTarget, speaksOpenSSH } from './sftp-handshake.ts';
import { FX, FXP, PacketReader, SftpFramer, statusPacket, type Frame } from './sftp-packets.ts';
import { fallbackLimits, limitsExtension, limitsReply, maxClientPacket, type SftpLimits } from './sftp-limits.ts';
import { cappedRead, openMode, parseRequest, parseWriteHead, pathsOf, withPaths, type PathRequest, type SftpRequest, type WriteHead } from './sftp-requests.ts';

/** The longest answer taken from a target (DATA streams; anything else is held whole, a NAME listing at most). */
const maxTargetPacket = 1024 * 1024;

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
 * payload streams to the target once its header is read. Extensions: the
 * gateway answers limits@openssh.com itself and relays those both it knows
 * and the target offered (sftp-extensions.ts), each judged like its core
 * request (posix-rename a RENAME, lsetstat a SETSTAT, hardlink a link whose
 * existing file must also be readable, statvfs a STAT, fsync and fstatvfs
 * by handle, copy-data by its two handles, expand-path a REALPATH);
 * unknown types and other extensions are refused (fail closed).
 * Target → client: answers pass as they come; a DATA answer's payload
 * streams to the client as it arrives, hashed on the way (TransferTally).
 * Transfers are recorded when their handle closes (or the channel goes)
 * with bytes and SHA-256; listings, removals, renames, mkdir, rmdir, setstat
 * and links with the target's answer. Metadata reads (stat, realpath,
 * readlink, statvfs) pass unjudged and unrecorded.
 *
 * Memory is bounded both ways (sftp-flow.ts): while one side's channel
 * refuses writes, the side feeding it is not read; the client is not read
 * either while a decision is pending or 1024 requests are outstanding.
 * Malformed input from either side ends the channel with a notice in the
 * recording. Resolves when the channel is gone.
 *
 * This file is the judging and forwarding; batched writes and who may be
 * read are sftp-flow.ts, requests are read by sftp-requests.ts, handles and
 * outstanding requests (and the events their answers finish) kept by
 * sftp-handles.ts, the target opened by sftp-handshake.ts.
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
  readonly #handles: SftpHandles;
  #home: string | undefined;
  #limits: SftpLimits = fallbackLimits;
  /** The relayed extensions offered to the client: those the target offered too. */
  #offered: string[] = [];
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
  readonly #flow: SftpFlow;
  #closed = false;
  #finish: (clientDone: boolean) => void = () => undefined;

  constructor(client: ServerChannel, c: ChannelContext) {
    this.#client = client;
    this.#c = c;
    this.#handles = new SftpHandles((event) => c.record(event));
    this.#clientOpenSSH = speaksOpenSSH(client);
    this.#flow = new SftpFlow(client, () => !this.#ready || this.#judging || this.#handles.outstanding >= maxPending);
  }

  run(): Promise<void> {
    const client = this.#client;
    client.pause();
    client.on('data', (chunk: Buffer) => {
      this.#requests.push(chunk);
      this.#pumpRequests();
    });
    client.on('error', () => undefined);
    const done = new Promise<void>((resolve) => {
      const sessionEnded = () => this.#finish(false);
      this.#finish = (clientDone) => {
        if (this.#closed) return;
        this.#closed = true;
        this.#flow.close();
        this.#c.ended.removeEventListener('abort', sessionEnded);
        this.#handles.interrupt();
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
    this.#targetOpenSSH = speaksOpenSSH(conn);
    const target = await new Promise<ClientChannel>((resolve, reject) => conn.subsys('sftp', (err, ch) => (err ? reject(err) : resolve(ch))));
    this.#target = target;
    if (this.#closed) return void target.close();
    target.on('error', () => undefined);
    target.on('data', (chunk: Buffer) => {
      this.#answers.push(chunk);
      this.#pumpAnswers();
    });
    this.#flow.attach(target);
    target.on('close', () => {
      if (this.#clientEnded) return this.#finish(true);
      this.#fail("the target's SFTP subsystem ended before the client was done");
    });
    const ask = (packet: Buffer) => {
      target.write(packet);
      return new Promise<Buffer>((resolve) => (this.#setup = resolve));
    };
    const greeting = await greetTarget(ask);
    ({ limits: this.#limits, home: this.#home } = greeting);
    this.#offered = offerable(greeting.extensions);
    this.#setup = undefined;
  }

  #pumpRequests(): void {
    try {
      this.#flow.pump(() => {
        while (this.#ready && !this.#judging && !this.#closed) {
          const f = this.#requests.next();
          if (!f) break;
          this.#onRequest(f);
        }
      });
    } catch (err) {
      return this.#fail(`the client sent ${asWardenError(err).message.replace(/^sftp: /, '')}`);
    }
    // Only once every request the client sent is with the target: sftp-server exits at its input's end.
    if (this.#clientEnded && this.#ready && !this.#judging && this.#requests.buffered === 0 && !this.#closed && !this.#targetEnded) {
      this.#targetEnded = true;
      this.#target!.end();
    }
    this.#flow.update();
  }

  #pumpAnswers(): void {
    try {
      this.#flow.pump(() => {
        for (let f = this.#answers.next(); f && !this.#closed; f = this.#answers.next()) {
          if (this.#setup) {
            if (f.kind !== 'whole') throw new Error('an unexpected answer');
            this.#setup(f.packet);
            continue;
          }
          this.#onAnswer(f);
        }
      });
    } catch (err) {
      return this.#fail(`the target sent ${asWardenError(err).message.replace(/^sftp: /, '')}`);
    }
    this.#flow.update();
  }

  #onRequest(f: Frame): void {
    if (!this.#started) {
      // The client's INIT is answered by the gateway: version 3, limits and the extensions it relays to this target.
      if (f.kind !== 'whole' || f.type !== FXP.INIT || new PacketReader(f.packet).u32() < 3) throw new Error('something other than INIT (version 3 or later) first');
      this.#started = true;
      return this.#flow.toClient(versionPacketFor(this.#offered));
    }
    if (f.kind === 'body') return this.#writeBody(f.chunk, f.last);
    if (f.kind === 'head') return this.#writeHead(parseWriteHead(f.head), f.head, f.bodyLength);
    const q = parseRequest(f.packet, this.#clientOpenSSH);
    if (this.#handles.isOutstanding(q.id)) throw new Error(`request id ${q.id} again while it is outstanding`);
    this.#request(q, f.packet);
  }

  /** Judges a request when it touches a file, then sends it (its paths normalised) or answers it. */
  #request(q: SftpRequest, packet: Buffer): void {
    const send = (pending: Pending, out = packet) => {
      this.#handles.sent(q.id, pending);
      this.#flow.toTarget(out);
    };
    switch (q.op) {
      case 'open': {
        const { upload, alsoRead } = openMode(q.flags);
        return this.#judged(q.id, upload ? 'upload' : 'download', pathsOf(q), async (o) => {
          // Opened to read and write: the read side must be allowed as well.
          if (alsoRead && !(await this.#judge(q.id, 'download', [q.path]))) return;
          o.tally = new TransferTally();
          send({ kind: 'open', handle: { dir: false, upload, readable: !upload || alsoRead, path: o.paths[0]!, outcome: o } }, this.#rewrite(q, o));
        });
      }
      case 'opendir':
        return this.#judged(q.id, 'list', pathsOf(q), (o) => send({ kind: 'open', handle: { dir: true, upload: false, readable: false, path: o.paths[0]!, outcome: o } }, this.#rewrite(q, o)));
      case 'read': {
        const handle = this.#handleOf(q.id, q.handle);
        if (!handle) return;
        const length = Math.min(q.length, this.#limits.maxReadLength);
        return send({ kind: 'read', offset: q.offset, length, tally: handle.upload ? undefined : handle.outcome?.tally }, length === q.length ? packet : cappedRead(q, length));
      }
      case 'close': {
        const handle = this.#handleOf(q.id, q.handle);
        if (!handle) return;
        this.#handles.release(q.handle);
        // A listing was recorded when opened; a transfer is recorded with the target's answer to its close.
        return send(handle.outcome && !handle.dir ? { kind: 'recorded', outcome: handle.outcome } : { kind: 'plain' });
      }
      case 'fstat':
      case 'readdir':
        return void (this.#handleOf(q.id, q.handle) && send({ kind: 'plain' }));
      case 'fsetstat': {
        const handle = this.#handleOf(q.id, q.handle);
        if (!handle) return;
        return this.#judged(q.id, 'setstat', [handle.path], (o) => send({ kind: 'recorded', outcome: o }));
      }
      case 'stat':
      case 'lstat':
      case 'readlink': {
        const abs = q.path === undefined ? undefined : resolvePath(this.#home, q.path);
        // Unjudged reads of metadata; the target gets the normalised path when there is one, as written otherwise.
        return send({ kind: 'plain' }, abs === undefined ? packet : withPaths(q, [abs], this.#targetOpenSSH));
      }
      case 'realpath':
        return send({ kind: 'plain' });
      case 'remove':
      case 'rmdir':
      case 'mkdir':
      case 'setstat':
        return this.#judged(q.id, q.op, pathsOf(q), (o) => send({ kind: 'recorded', outcome: o }, this.#rewrite(q, o)));
      case 'rename':
        return this.#judged(q.id, 'rename', pathsOf(q), (o) => send({ kind: 'recorded', outcome: o }, this.#rewrite(q, o)));
      case 'symlink':
        // The link is judged at its path and at what it points to (resolved from the home directory as written); the latter is sent as written.
        return this.#judged(q.id, 'symlink', pathsOf(q), (o) => send({ kind: 'recorded', outcome: o }, this.#rewrite(q, o)));
      case 'extended':
        return this.#extended(q, packet, send);
      case 'unsupported':
        // fail closed: a request the gateway cannot read is not passed on.
        return this.#flow.answer(statusPacket(q.id, FX.OP_UNSUPPORTED, 'warden: this SFTP request is not supported'));
    }
  }

  /** An extension: limits answered by the gateway, one it offered relayed as sftp-extension-relay.ts says, any other refused. */
  #extended(q: Extract<SftpRequest, { op: 'extended' }>, packet: Buffer, send: (pending: Pending, out?: Buffer) => void): void {
    if (q.name === limitsExtension) return this.#flow.answer(limitsReply(q.id, this.#limits));
    const x = this.#offered.includes(q.name) ? parseExtension(q.name, q.id, packet) : undefined;
    // fail closed: an extension the gateway did not offer (unknown, or the target lacks it) is refused rather than relayed unjudged.
    if (!x) return this.#flow.answer(statusPacket(q.id, FX.OP_UNSUPPORTED, 'warden: this SFTP extension is not supported'));
    relayExtension(x, q.id, packet, {
      home: this.#home,
      send,
      answer: (p) => this.#flow.answer(p),
      judged: (id, op, paths, then) => this.#judged(id, op, paths, then),
      handleOf: (id, raw) => this.#handleOf(id, raw),
      c: this.#c,
    });
  }

  /** The packet the target gets for a judged request: the paths policy saw. */
  #rewrite(q: PathRequest, o: FileOutcome): Buffer {
    return withPaths(q, o.paths, this.#targetOpenSSH);
  }

  /** A WRITE's fields: judged by its handle, then its payload streams to the target (or is dropped). */
  #writeHead({ id, handle: raw, offset }: WriteHead, head: Buffer, bodyLength: number): void {
    if (this.#handles.isOutstanding(id)) throw new Error(`request id ${id} again while it is outstanding`);
    const handle = this.#handleOf(id, raw);
    let forward = handle !== undefined;
    // fail closed: only a handle judged as an upload may write.
    if (handle && !handle.upload) {
      forward = false;
      this.#flow.answer(statusPacket(id, FX.PERMISSION_DENIED, 'warden: this file was not opened for writing'));
    }
    if (forward) {
      this.#handles.sent(id, { kind: 'plain' });
      this.#flow.toTarget(head);
    }
    if (bodyLength > 0) this.#write = { forward, offset, tally: handle?.outcome?.tally };
  }

  #writeBody(chunk: Buffer, last: boolean): void {
    const w = this.#write!;
    if (w.forward) {
      w.tally?.pass(w.offset, chunk);
      this.#c.bytes(chunk.length, 0);
      this.#flow.toTarget(chunk);
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
      this.#flow.toClient(f.chunk);
      if (f.last) this.#dataDone();
      return;
    }
    const pending = this.#handles.take(new PacketReader(f.kind === 'head' ? f.head : f.packet).u32());
    if (f.kind === 'head') {
      if (pending.kind !== 'read' || f.bodyLength > pending.length) throw new Error('DATA the gateway did not ask for');
      this.#flow.toClient(f.head);
      this.#data = { offset: pending.offset, tally: pending.tally };
      this.#flow.streaming(true);
      if (f.bodyLength === 0) this.#dataDone();
      return;
    }
    this.#handles.answered(pending, f.packet);
    this.#flow.toClient(f.packet);
  }

  #dataDone(): void {
    this.#data = undefined;
    this.#flow.streaming(false);
  }

  /** The handle a request names; when the gateway did not see it opened, the client is told and undefined returned (fail closed). */
  #handleOf(id: number, raw: Buffer): OpenHandle | undefined {
    const open = this.#handles.get(raw);
    if (!open) this.#flow.answer(statusPacket(id, FX.FAILURE, 'invalid handle'));
    return open;
  }

  /** Judges, then runs `then` with the outcome if allowed; reading from the client stops meanwhile, so order is kept. */
  #judged(id: number, op: FileOp, raw: (string | undefined)[], then: (o: FileOutcome) => void | Promise<void>): void {
    this.#judging = true;
    this.#flow.update();
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
      this.#flow.answer(statusPacket(id, FX.PERMISSION_DENIED, 'warden: this path cannot be resolved on the target, so it is refused'));
      return undefined;
    }
    const d = await decideFile(this.#c, op, paths as string[]);
    const outcome = beginFile(this.#c, 'sftp', op, paths as string[], d.verdict);
    if (d.refused === undefined) return outcome;
    this.#flow.answer(statusPacket(id, FX.PERMISSION_DENIED, `warden: ${d.refused}`));
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
