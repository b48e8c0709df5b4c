import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { RelayVerdict } from './gatekeeper.ts';
import { errorResponse } from './codec/backend.ts';
import { ChunkWriter } from './codec/chunk-writer.ts';
import { FramingError, MessageFramer } from './codec/framing.ts';
import { parseBind, parseClose, parseDescribe, parseExecute, parseParse, parseQuery, parseMessage, queryMessage } from './codec/frontend.ts';
import { commandTag, parseErrorFields, parseRowDescription, type ColumnInfo } from './codec/results.ts';
import type { StatementTracker } from './events.ts';
import { directWriter, type ChunkSend } from '../../transport/direct-write.ts';
import { sameBytes } from '../../transport/same-bytes.ts';

/**
 * The message-by-message relay between a logged-in client and its target.
 *
 * Hot path rules: a chunk whose messages all pass unchanged is written as the
 * same Buffer it arrived in (one write per read, no copies); only messages
 * the gateway must look at are decoded; recording is a synchronous append to
 * an in-memory batch. Backpressure is passed through in both directions.
 *
 * A statement policy stops is not dropped: it is replaced by one that fails
 * at parse analysis on the target with a marker only this session knows, and
 * the target's error is rewritten into the policy's message. The target
 * itself then keeps the protocol state right (error → skip to Sync, failed
 * transaction block) exactly as if the statement had failed there.
 */
export interface RelayHooks {
  /** Policy for one statement text (a Query, or a Parse that may come back `review`); must not reject. */
  decide(text: string, phase: 'query' | 'parse'): Promise<RelayVerdict>;
  /**
   * What `decide` would give, when it is known at once (the common case: the statement then
   * goes on without a promise or a turn of the event loop); undefined: `decide` is asked.
   */
  decideNow?(text: string, phase: 'query' | 'parse'): RelayVerdict | undefined;
  /** The review workflow for one Execute of a statement whose Parse needed review; must not reject. */
  review(text: string, params: readonly (string | null)[], verdict: RelayVerdict): Promise<RelayVerdict>;
  tracker: StatementTracker;
  onBytes(fromClient: number, toClient: number): void;
  /** Ends the session: the relay has stopped both sockets. */
  onEnd(reason: string): void;
}

const Q = 0x51, P = 0x50, B = 0x42, E = 0x45, S = 0x53, C = 0x43, X = 0x58;
const T = 0x54, D = 0x44, n = 0x6e, Z = 0x5a, I = 0x49, s = 0x73, d = 0x64, H = 0x48, G = 0x47, CC = 0x43, EE = 0x45;
/** The client's CopyDone and CopyFail (its CopyData is `d`, as the target's). */
const copyDone = 0x63, copyFail = 0x66;

/** Where the relay is in a client chunk: the next message (a wait for a decision resumes there). */
interface ChunkCursor {
  off: number;
}

export class Relay {
  readonly #client: Socket;
  readonly #target: Socket;
  /** What the relay forwards goes out through these (the sockets' own writes when direct ones cannot be made). */
  readonly #sendClient: ChunkSend;
  readonly #sendTarget: ChunkSend;
  readonly #hooks: RelayHooks;
  readonly #fromClient = new MessageFramer();
  readonly #fromTarget = new MessageFramer();
  /** The last RowDescription's bytes and columns (see `#rowDescription`). */
  #lastRowDescription: Buffer | undefined;
  #lastColumns: ColumnInfo[] = [];
  /** The last CommandComplete's tag (see `#commandTag`). */
  #lastTag = '';
  /** The target's chunk as the client gets it (see `#onTargetData`). */
  readonly #toClient = new ChunkWriter();
  /** The client's chunk as the target gets it: stopped statements replaced (see `#clientMessages`). */
  readonly #toTarget = new ChunkWriter();
  /** Chunks that arrived while a policy decision was pending, in order. */
  readonly #queued: Buffer[] = [];
  #busy = false;
  #ended = false;
  /** A write to the target answered false and its 'drain' has not come yet (Writable's `writableNeedDrain` does not see direct writes). */
  #targetFull = false;
  /** Marker of this session's substituted statements → the message to show instead. */
  readonly #nonce = randomBytes(6).toString('hex');
  readonly #substitutes = new Map<string, { message: string; recorded: boolean; code: string }>();
  /** Prepared statements that need review at each Execute, and the portals bound to them. */
  readonly #reviewed = new Map<string, { text: string; verdict: RelayVerdict }>();
  readonly #reviewedPortals = new Map<string, { statement: string; params: (string | null)[] }>();
  #substituteSeq = 0;

  constructor(client: Socket, target: Socket, hooks: RelayHooks) {
    this.#client = client;
    this.#target = target;
    this.#sendClient = directWriter(client);
    this.#sendTarget = directWriter(target);
    this.#hooks = hooks;
  }

  start(clientLeftover: Buffer, targetLeftover: Buffer): void {
    this.#client.on('data', (chunk: Buffer) => this.#onClientData(chunk));
    this.#target.on('data', (chunk: Buffer) => this.#onTargetData(chunk));
    this.#client.on('close', () => this.end('client closed the connection'));
    this.#target.on('close', () => this.end('target closed the connection'));
    // A target link that fails (TCP reset, an agent link dropping) ends the session with the reason, in wire form.
    this.#target.on('error', (err: Error) =>
      this.end(`target connection failed: ${err.message}`, errorResponse({ severity: 'FATAL', code: '08006', message: `the connection to the target was lost: ${err.message}` })),
    );
    this.#client.on('drain', () => this.#target.resume());
    this.#target.on('drain', () => {
      this.#targetFull = false;
      if (!this.#busy) this.#client.resume();
    });
    if (targetLeftover.length > 0) this.#onTargetData(targetLeftover);
    if (clientLeftover.length > 0) this.#onClientData(clientLeftover);
  }

  /** Stops relaying; `finalWords` (e.g. a FATAL ErrorResponse) reach the client first. */
  end(reason: string, finalWords?: Buffer): void {
    if (this.#ended) return;
    this.#ended = true;
    if (finalWords && !this.#client.destroyed) this.#client.end(finalWords);
    else this.#client.end();
    this.#target.destroy();
    // A client that will not read its goodbye must not hold the socket open.
    setTimeout(() => this.#client.destroy(), 1000).unref();
    this.#hooks.onEnd(reason);
  }

  // ---- client → target

  #onClientData(chunk: Buffer): void {
    if (this.#ended) return;
    if (this.#busy) {
      this.#queued.push(chunk);
      this.#client.pause();
      return;
    }
    let whole: Buffer;
    try {
      whole = this.#fromClient.push(chunk);
    } catch (err) {
      this.#protocolViolation(err);
      return;
    }
    this.#hooks.onBytes(chunk.length, 0);
    if (whole.length === 0) return;
    // The common case is synchronous (policy known at once, nothing to learn): no promise, no
    // microtask turn per chunk. Only a pending decision or lookup makes the chunk wait, and the
    // client's later chunks queue behind it, in order.
    let waiting: Promise<void> | undefined;
    try {
      // One chunk at a time: while one waits, later ones queue (above), so the writer is this chunk's until it is sent.
      this.#toTarget.begin(whole);
      waiting = this.#clientMessages(whole, { off: 0 });
    } catch (err) {
      this.#protocolViolation(err);
      return;
    }
    if (waiting === undefined) return;
    this.#busy = true;
    waiting
      .catch((err: unknown) => this.#protocolViolation(err))
      .finally(() => {
        this.#busy = false;
        this.#takeQueued();
      });
  }

  /**
   * After a wait: the chunks that queued meanwhile, in order, until one waits in turn (its own
   * wait takes the rest up) or none is left; then the client is read again, unless the target
   * has not taken what it was sent (its 'drain' resumes the client).
   */
  #takeQueued(): void {
    while (!this.#busy && !this.#ended) {
      const next = this.#queued.shift();
      if (next === undefined) {
        if (!this.#targetFull) this.#client.resume();
        return;
      }
      this.#onClientData(next);
    }
  }

  /**
   * Works through a chunk of whole messages from `at.off` and writes it on to the target
   * (with stopped statements replaced). Returns undefined when that is done, or a promise
   * while a decision, review or catalog lookup is pending: the rest of the chunk follows it.
   * Throws (or rejects) on a malformed message.
   */
  #clientMessages(buf: Buffer, at: ChunkCursor): Promise<void> | undefined {
    const tracker = this.#hooks.tracker;
    while (at.off < buf.length) {
      const off = at.off;
      const type = buf[off]!;
      const end = off + 1 + buf.readInt32BE(off + 1);
      // A wait resumes after this message.
      at.off = end;
      let waiting: Promise<void> | undefined;
      if (type === Q || type === P) waiting = this.#statement(buf, type, off, end);
      else if (type === B) {
        const b = parseBind(buf, off, end);
        tracker.bind(b.portal, b.statement, b.params, b.resultFormats);
        if (this.#reviewed.has(b.statement)) this.#reviewedPortals.set(b.portal, { statement: b.statement, params: b.params });
        else this.#reviewedPortals.delete(b.portal);
      } else if (type === E) waiting = this.#execute(buf, off, end);
      else if (type === D) {
        const dsc = parseDescribe(buf, off, end);
        tracker.describe(dsc.kind, dsc.name);
      } else if (type === S) tracker.sync();
      else if (type === C) {
        const c = parseClose(buf, off, end);
        tracker.close(c.kind, c.name);
        if (c.kind === 'S') this.#reviewed.delete(c.name);
        else this.#reviewedPortals.delete(c.name);
      } else if (type === X) {
        // Up to the Terminate: what follows it in the chunk (copied last, as it came) is not sent.
        const out = this.#toTarget.finish();
        this.#writeTarget(out.subarray(0, out.length - (buf.length - end)));
        this.end('client closed the session');
        return undefined;
      } else if (type === d) tracker.copyInData(buf, off + 5, end);
      else if (type === copyDone || type === copyFail) tracker.copyInEnded();
      if (waiting !== undefined) return waiting.then(() => (this.#ended ? undefined : this.#clientMessages(buf, at)));
    }
    this.#writeTarget(this.#toTarget.finish());
    return undefined;
  }

  /** A Query or Parse: judged (at once when policy can), then passed on or replaced. */
  #statement(buf: Buffer, type: number, off: number, end: number): Promise<void> | undefined {
    // A Query's text is recorded from its bytes (never reused: each read is a buffer of its own).
    const parsed = type === Q ? { name: '', text: parseQuery(buf, off, end), source: buf.subarray(off + 5, end - 1) } : parseParse(buf, off, end);
    const phase = type === Q ? 'query' : 'parse';
    const now = this.#hooks.decideNow?.(parsed.text, phase);
    if (now !== undefined) return this.#judged(type, off, end, parsed, now);
    return this.#hooks.decide(parsed.text, phase).then((verdict) => (this.#ended ? undefined : this.#judged(type, off, end, parsed, verdict)));
  }

  /** Applies a Query's or Parse's verdict; a promise while masking learns the statement's relations. */
  #judged(type: number, off: number, end: number, parsed: { name: string; text: string; source?: Buffer }, decided: RelayVerdict): Promise<void> | undefined {
    const tracker = this.#hooks.tracker;
    const verdict = tracker.applicable(parsed.text, decided);
    if (type === P) {
      if (verdict.effect === 'review') this.#reviewed.set(parsed.name, { text: parsed.text, verdict });
      else this.#reviewed.delete(parsed.name);
    }
    const stopped = verdict.effect === 'block' || (verdict.effect === 'review' && type === Q);
    if (type === Q) tracker.query(parsed.text, verdict, parsed.source);
    else tracker.parse(parsed.name, parsed.text, verdict);
    if (!stopped) {
      // Masking must know what the statement's relations are (views) before its rows come back.
      return tracker.learn(parsed.text, verdict);
    }
    const message = verdict.effect === 'review' ? `approval required: ${verdict.message}` : verdict.message;
    // A stopped Parse has no execution of its own to carry the error: record it now.
    if (type === P) tracker.stopped(parsed.text, verdict, verdict.sqlstate ?? '42501', message);
    this.#toTarget.replace(off, end, type === Q ? this.#failing(queryMessage, message, false, verdict.sqlstate) : this.#failing((t) => parseMessage(parsed.name, t), message, true, verdict.sqlstate));
    return undefined;
  }

  /** An Execute; one of a statement that needed review waits for the review of its own parameters. */
  #execute(buf: Buffer, off: number, end: number): Promise<void> | undefined {
    const tracker = this.#hooks.tracker;
    const portal = parseExecute(buf, off, end);
    const bound = this.#reviewedPortals.get(portal);
    const held = bound && this.#reviewed.get(bound.statement);
    if (!bound || !held) {
      tracker.execute(portal);
      return tracker.learnPortal(portal);
    }
    // Every Execute of a reviewed statement is judged with its own parameters: one approval never covers other values or later runs.
    return this.#hooks.review(held.text, bound.params, held.verdict).then((verdict) => {
      if (this.#ended) return undefined;
      if (verdict.effect === 'block' || verdict.effect === 'review') {
        const message = verdict.effect === 'review' ? `approval required: ${verdict.message}` : verdict.message;
        tracker.stopped(held.text, verdict, verdict.sqlstate ?? '42501', message);
        // An unnamed Parse that fails in its place: the server then skips to Sync, as after a failed Execute.
        this.#toTarget.replace(off, end, this.#failing((t) => parseMessage('', t), message, true, verdict.sqlstate));
      } else tracker.execute(portal, verdict);
      return tracker.learnPortal(portal);
    });
  }

  /** A statement that fails at parse analysis on the target; its error comes back rewritten to `message`. */
  #failing(wrap: (text: string) => Buffer, message: string, recorded: boolean, sqlstate: string | undefined): Buffer {
    const marker = `warden_blocked_${this.#nonce}_${++this.#substituteSeq}`;
    this.#substitutes.set(marker, { message, recorded, code: sqlstate ?? '42501' });
    return wrap(`SELECT ${marker}()`);
  }

  #writeTarget(buf: Buffer): void {
    if (this.#sendTarget(buf)) return;
    this.#targetFull = true;
    this.#client.pause();
  }

  // ---- target → client

  #onTargetData(chunk: Buffer): void {
    if (this.#ended) return;
    let buf: Buffer;
    try {
      buf = this.#fromTarget.push(chunk);
    } catch (err) {
      this.end(`target sent an invalid message: ${(err as Error).message}`, errorResponse({ severity: 'FATAL', code: '08P01', message: 'the target sent an invalid message; the session was closed' }));
      return;
    }
    if (buf.length === 0) return;
    const tracker = this.#hooks.tracker;
    // Replaced messages (masked rows, rewritten errors) are written into one outgoing copy of the chunk.
    const out = this.#toClient;
    out.begin(buf);
    let off = 0;
    while (off < buf.length) {
      const type = buf[off]!;
      const end = off + 1 + buf.readInt32BE(off + 1);
      let replacement: Buffer | undefined;
      if (type === D) tracker.dataRow(buf, off, end, out);
      else if (type === d) replacement = tracker.copyData(buf, off, end);
      else if (type === H) tracker.copyOut(buf[off + 5] === 1);
      else if (type === CC) tracker.commandComplete(this.#commandTag(buf, off, end));
      else if (type === T) tracker.rowDescription(this.#rowDescription(buf, off, end));
      else if (type === n) tracker.noData();
      else if (type === Z) tracker.readyForQuery(buf[off + 5]!);
      else if (type === I || type === s) tracker.executionEnded();
      else if (type === EE) {
        const f = parseErrorFields(buf, off, end);
        const ours = this.#substituteError(f.M ?? '');
        if (ours) {
          replacement = errorResponse({ severity: 'ERROR', code: ours.code, message: ours.message });
          if (!ours.recorded) tracker.error(ours.code, ours.message);
        } else tracker.error(f.C ?? '', f.M ?? '');
      } else if (type === G) tracker.copyIn();
      if (replacement) out.replace(off, end, replacement);
      off = end;
    }
    const toClient = out.finish();
    this.#hooks.onBytes(0, toClient.length);
    if (!this.#sendClient(toClient)) this.#target.pause();
  }

  /**
   * The columns of a RowDescription. libpq sends a Describe with every Execute, so a prepared
   * statement's same bytes come back each time: the last one's columns are handed out again
   * (frozen, shared) instead of parsing a new array of objects per execution.
   */
  #rowDescription(buf: Buffer, off: number, end: number): ColumnInfo[] {
    const last = this.#lastRowDescription;
    if (last !== undefined && last.length === end - off && sameBytes(buf, off, last)) return this.#lastColumns;
    const columns = parseRowDescription(buf, off, end);
    for (const c of columns) Object.freeze(c);
    Object.freeze(columns);
    // A copy: the chunk's memory is the socket's and is reused.
    this.#lastRowDescription = Buffer.from(buf.subarray(off, end));
    this.#lastColumns = columns;
    return columns;
  }

  /**
   * The tag of a CommandComplete. Every pgbench -S statement ends in `SELECT 1`: while the tag's
   * bytes repeat, the last one's string is handed out again instead of decoding a new one
   * (~22 ns against ~73 for `toString` on this machine), and the tracker then knows it by
   * identity. Only ASCII bytes match (a byte is then its character; a lone byte ≥ 0x80 is not
   * the character of the same code, whatever the last tag held).
   */
  #commandTag(buf: Buffer, off: number, end: number): string {
    const last = this.#lastTag;
    const n = last.length;
    if (end - off - 6 === n) {
      let i = 0;
      while (i < n && buf[off + 5 + i] === last.charCodeAt(i) && buf[off + 5 + i]! < 0x80) i++;
      if (i === n) return last;
    }
    return (this.#lastTag = commandTag(buf, off, end));
  }

  /** The policy message for an error caused by one of this session's substituted statements. */
  #substituteError(message: string): { message: string; recorded: boolean; code: string } | undefined {
    if (this.#substitutes.size === 0) return undefined;
    const at = message.indexOf(`warden_blocked_${this.#nonce}_`);
    if (at < 0) return undefined;
    const marker = /warden_blocked_[0-9a-f]+_\d+/.exec(message.slice(at))?.[0] ?? '';
    const text = this.#substitutes.get(marker);
    this.#substitutes.delete(marker);
    return text;
  }

  #protocolViolation(err: unknown): void {
    const why = err instanceof FramingError ? err.message : `malformed message: ${(err as Error).message}`;
    this.end(`protocol violation: ${why}`, errorResponse({ severity: 'FATAL', code: '08P01', message: `protocol violation (${why}); the session was closed` }));
  }
}
