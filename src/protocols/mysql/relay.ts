import type { Socket } from 'node:net';
import type { Verdict } from '../../core/policy/types.ts';
import { com, relayed, type ResponseShape } from './codec/commands.ts';
import { errPayload } from './codec/generic.ts';
import { packet, PacketFramer, type Packet } from './codec/packet.ts';
import { Answers, InfileRefused, type Answering, type Prepared } from './answers.ts';
import type { StatementTracker } from './events.ts';
import { parseExecute } from './codec/execute.ts';
import { inlineMysqlParameters } from '../../core/sql/mysql/index.ts';
import { directWriter, type ChunkSend } from '../../transport/direct-write.ts';

/**
 * The command-phase relay. MySQL is strictly request → answer, so commands
 * run one at a time: a command is judged (COM_QUERY, COM_STMT_PREPARE),
 * forwarded, and its answer followed (answers.ts) until complete before the
 * next queued command is looked at. The target's bytes are forwarded as
 * Answers hands them back: the chunk itself, or its packets with masked rows
 * rewritten. A stopped command is answered by the gateway with ERR 1142 and
 * never reaches the target.
 */
export interface RelayHooks {
  /**
   * Policy (and review) for a statement; the relay forwards `allow` and
   * `mask`, anything else is refused. May wait (a held review): later commands queue.
   */
  decide(text: string, phase: 'query' | 'prepare'): Promise<Verdict>;
  /**
   * What `decide` would give, when it is known at once (the common case:
   * the statement then goes out without waiting a turn); undefined: `decide` is asked.
   */
  decideNow?(text: string, phase: 'query' | 'prepare'): Verdict | undefined;
  /**
   * A prepared statement that needs review is let through at prepare (it
   * runs nothing) and each execute is judged here, with its bound values
   * inlined into the text (allow, mask or block; may wait). Without this
   * hook such a prepare is refused.
   */
  review?(text: string, verdict: Extract<Verdict, { effect: 'review' }>): Promise<Verdict>;
  /**
   * Asked first for every COM_QUERY: undefined (returned at once) lets the
   * statement go on to policy; a payload (OK or ERR) means the gateway
   * answers it itself (KILL) and neither policy nor the target sees it.
   */
  answerItself?(text: string): Promise<Buffer> | undefined;
  /**
   * COM_CHANGE_USER: the relay has stopped (the client's socket is handed
   * back, the target told goodbye) and the session must log in anew; without
   * this hook the command is refused like any unsupported one.
   */
  changeUser?(request: Packet, leftover: Buffer): void;
  /**
   * The target asks the client for a LOCAL INFILE file while answering
   * `statement` (the COM_QUERY in flight, with its verdict): undefined lets
   * the request through, a string is why it is refused (the session then
   * ends with that error; the target gets no byte). Without this hook every
   * request is refused.
   */
  localInfile?(statement: { text: string; verdict: Verdict } | undefined, requested: string): string | undefined;
  tracker: StatementTracker;
  onBytes(fromClient: number, toClient: number): void;
  onEnd(reason: string): void;
}

/** Commands are buffered whole to be judged; larger ones are refused by closing the session. */
const maxCommand = 64 * 1024 * 1024;
const names = new Map<number, string>(Object.entries(com).map(([k, v]) => [v, k]));

export class Relay {
  readonly #client: Socket;
  readonly #upstream: Socket;
  /** What the relay forwards goes out through these (the sockets' own writes when direct ones cannot be made). */
  readonly #sendClient: ChunkSend;
  readonly #sendUpstream: ChunkSend;
  readonly #hooks: RelayHooks;
  readonly #fromClient = new PacketFramer(maxCommand);
  readonly #queue: Packet[] = [];
  /** Statement texts by prepared-statement id, with the verdict of their prepare. */
  readonly #prepared = new Map<number, Prepared>();
  /** The target's answer to the command in flight. */
  readonly #answers: Answers;
  /** A LOCAL INFILE request was passed to the client: its packets go to the target until the empty one. */
  #infileOpen = false;
  #busy = false;
  #ended = false;

  constructor(client: Socket, upstream: Socket, hooks: RelayHooks) {
    this.#client = client;
    this.#upstream = upstream;
    this.#sendClient = directWriter(client);
    this.#sendUpstream = directWriter(upstream);
    this.#hooks = hooks;
    this.#answers = new Answers(hooks.tracker, this.#prepared, {
      localInfile: hooks.localInfile?.bind(hooks),
      infileOpened: (requested) => {
        this.#infileOpen = true;
        hooks.tracker.upload(requested);
      },
    });
  }

  readonly #clientData = (b: Buffer) => this.#onClient(b);
  readonly #clientClosed = () => this.end('client_closed');
  readonly #clientDrained = () => this.#upstream.resume();

  start(clientLeftover: Buffer, upstreamLeftover: Buffer): void {
    const c = this.#client;
    const u = this.#upstream;
    c.on('data', this.#clientData);
    u.on('data', (b: Buffer) => this.#onUpstream(b));
    c.on('close', this.#clientClosed);
    u.on('close', () => this.end('target_closed'));
    c.on('drain', this.#clientDrained);
    u.on('drain', () => c.resume());
    // The session paused the client until now (see session.ts); data events come on a later tick, after the leftovers.
    c.resume();
    if (upstreamLeftover.length) this.#onUpstream(upstreamLeftover);
    if (clientLeftover.length) this.#onClient(clientLeftover);
  }

  /** Ends the session once; `goodbye` is written to the client first. */
  end(reason: string, goodbye?: Buffer): void {
    if (this.#ended) return;
    this.#ended = true;
    if (goodbye && !this.#client.destroyed) this.#client.end(goodbye);
    else this.#client.destroy();
    if (!this.#upstream.writableEnded) this.#upstream.destroy();
    else setTimeout(() => this.#upstream.destroy(), 5000).unref();
    this.#hooks.onEnd(reason);
  }

  /**
   * Stops relaying without closing the client: its listeners are removed
   * (the socket stays paused for the next reader), the target gets COM_QUIT,
   * and the session ends as `change_user`. The hook gets the client bytes
   * that arrived after `request` (normally none: a client waits for the answer).
   */
  #handOver(request: Packet): void {
    const c = this.#client;
    c.pause();
    c.off('data', this.#clientData);
    c.off('close', this.#clientClosed);
    c.off('drain', this.#clientDrained);
    const leftover = Buffer.concat([...this.#queue.splice(0).map((p) => p.raw), this.#fromClient.takeRest()]);
    this.#ended = true;
    this.#upstream.end(packet(0, Buffer.from([com.quit])));
    setTimeout(() => this.#upstream.destroy(), 5000).unref();
    this.#hooks.changeUser!(request, leftover);
    this.#hooks.onEnd('change_user');
  }

  #onClient(chunk: Buffer): void {
    this.#hooks.onBytes(chunk.length, 0);
    try {
      for (const p of this.#fromClient.push(chunk)) {
        if (!this.#infileOpen) {
          this.#queue.push(p);
          continue;
        }
        // The client's file, as the client sends it (the gateway never reads a file itself); an empty packet ends it.
        if (p.payload.length === 0) this.#infileOpen = false;
        else this.#hooks.tracker.uploaded(p.payload);
        if (!this.#sendUpstream(p.raw)) this.#client.pause();
      }
    } catch (err) {
      // fail closed: bytes that do not frame as packets end this session only.
      this.end(`error: ${(err as Error).message}`);
      return;
    }
    // Buffered commands are judged in order; stop reading while too many wait.
    if (this.#queue.length > 64) this.#client.pause();
    this.#pump();
  }

  /** Runs queued commands until one awaits its answer (or a decision: the pump goes on when it is made). */
  #pump(): void {
    while (!this.#busy && !this.#ended) {
      const p = this.#queue.shift();
      if (!p) {
        // Only a paused client needs it: resume() on a flowing socket is a few checks and calls per statement for nothing.
        if (this.#client.isPaused()) this.#client.resume();
        return;
      }
      this.#busy = true;
      let deciding: Promise<void> | undefined;
      try {
        deciding = this.#command(p);
      } catch (err) {
        this.end(`error: ${(err as Error).message}`);
        return;
      }
      if (deciding) {
        void deciding.then(
          () => this.#pump(),
          (err: unknown) => this.end(`error: ${(err as Error).message}`),
        );
        return;
      }
    }
  }

  /**
   * Handles one client command; leaves `#busy` set while its answer is
   * awaited. Returns a promise only when the command waits for something
   * (a decision policy cannot give at once, a review, a KILL, views to
   * learn): everything else is handled synchronously.
   */
  #command(p: Packet): Promise<void> | undefined {
    const body = p.payload;
    // fail closed: a command always starts a new sequence; anything else is not a MySQL client.
    if (p.seq !== 0 || body.length === 0) throw new Error('protocol violation: malformed command packet');
    const cmd = body[0]!;
    if (cmd === com.changeUser && this.#hooks.changeUser) {
      this.#handOver(p);
      return;
    }
    const shape = relayed.get(cmd);
    if (shape === undefined) {
      this.#refuse(1047, '08S01', `command ${names.get(cmd) ?? `0x${cmd.toString(16)}`} is not supported through Warden`);
      return;
    }
    if (cmd === com.query || cmd === com.stmtPrepare) return this.#statement(p, cmd, shape);
    if (cmd === com.stmtExecute && body.length >= 5) {
      const id = body.readUInt32LE(1);
      const s = this.#prepared.get(id);
      if (s?.verdict.effect === 'review') return this.#reviewedExecute(p, s, s.verdict, shape);
      // Views its text names are learned first (masking; undefined, the common case, when known).
      const learning = s && this.#hooks.tracker.learn(s.text, s.verdict);
      if (learning) return this.#learnedExecute(learning, p, s!, shape);
      if (s) {
        this.#forward(p, shape, this.#execute(s, s.text, s.verdict));
        return undefined;
      }
      this.#hooks.tracker.begin('', undefined, String(id));
    } else if (cmd === com.stmtSendLongData && body.length >= 5) {
      const s = this.#prepared.get(body.readUInt32LE(1));
      if (s) s.longData = true;
    } else if (cmd === com.stmtReset && body.length >= 5) {
      const s = this.#prepared.get(body.readUInt32LE(1));
      if (s) s.longData = false;
    } else if (cmd === com.stmtFetch && body.length >= 5) {
      const id = body.readUInt32LE(1);
      const cursor = this.#prepared.get(id)?.cursor;
      // Rows fetched from a cursor come without column definitions: those of the execute that opened it shape them.
      if (cursor?.columns) {
        this.#hooks.tracker.begin(cursor.text, cursor.verdict, String(id));
        this.#hooks.tracker.columns(cursor.columns);
      } else if (cursor?.verdict.effect === 'mask') {
        // fail closed: rows whose columns are unknown could not be masked (nor decoded for the recording).
        this.#refuse(1142, '42000', 'results of this statement are masked, and the gateway did not see its cursor open (COM_STMT_FETCH): execute it again');
        return;
      }
    } else if (cmd === com.stmtClose && body.length >= 5) {
      this.#prepared.delete(body.readUInt32LE(1));
    }
    this.#forward(p, shape, undefined);
    return undefined;
  }

  /**
   * COM_QUERY or COM_STMT_PREPARE: judged (a KILL answered by the gateway),
   * then forwarded or refused. A promise only while a decision is awaited.
   */
  #statement(p: Packet, cmd: number, shape: ResponseShape): Promise<void> | undefined {
    const text = p.payload.toString('utf8', 1);
    const own = cmd === com.query ? this.#hooks.answerItself?.(text) : undefined;
    if (own !== undefined) return this.#answerItself(own);
    const phase = cmd === com.query ? 'query' : 'prepare';
    const now = this.#hooks.decideNow?.(text, phase);
    if (now !== undefined) return this.#judged(p, cmd, shape, text, now);
    return this.#hooks.decide(text, phase).then((verdict) => (this.#ended ? undefined : this.#judged(p, cmd, shape, text, verdict)));
  }

  /** A statement the gateway answers itself (KILL). */
  async #answerItself(own: Promise<Buffer>): Promise<void> {
    const answer = await own;
    if (this.#ended) return;
    this.#client.write(packet(1, answer));
    this.#busy = false;
  }

  /** A judged statement, forwarded or refused; a promise only while the views it names are learned. */
  #judged(p: Packet, cmd: number, shape: ResponseShape, text: string, verdict: Verdict): Promise<void> | undefined {
    const reviewedAtExecute = cmd === com.stmtPrepare && verdict.effect === 'review' && this.#hooks.review !== undefined;
    if (verdict.effect !== 'allow' && verdict.effect !== 'mask' && !reviewedAtExecute) {
      const message = verdict.message;
      this.#hooks.tracker.stopped(text, verdict, '1142', message);
      this.#refuse(1142, '42000', message);
      return undefined;
    }
    if (cmd !== com.query) {
      this.#forward(p, shape, { kind: 'prepare', statement: { text, verdict, longData: false } });
      return undefined;
    }
    const learning = this.#hooks.tracker.learn(text, verdict);
    if (learning) return learning.then(() => (this.#ended ? undefined : this.#query(p, shape, text, verdict)));
    this.#query(p, shape, text, verdict);
    return undefined;
  }

  /** A COM_QUERY goes to the target, recorded under `verdict`. */
  #query(p: Packet, shape: ResponseShape, text: string, verdict: Verdict): void {
    this.#hooks.tracker.begin(text, verdict, undefined, p.payload);
    this.#forward(p, shape, { kind: 'query', text, verdict });
  }

  /** A COM_STMT_EXECUTE of a statement needing review: judged with its values, then forwarded or refused. */
  async #reviewedExecute(p: Packet, s: Prepared, verdict: Extract<Verdict, { effect: 'review' }>, shape: ResponseShape): Promise<void> {
    const run = await this.#judgeExecute(p.payload, s, verdict);
    if (this.#ended || run === undefined) return;
    await this.#hooks.tracker.learn(run.text, run.verdict);
    if (this.#ended) return;
    this.#forward(p, shape, this.#execute(s, run.text, run.verdict));
  }

  /** An execute whose statement's views are being learned (masking): forwarded once they are. */
  async #learnedExecute(learning: Promise<void>, p: Packet, s: Prepared, shape: ResponseShape): Promise<void> {
    await learning;
    if (this.#ended) return;
    this.#forward(p, shape, this.#execute(s, s.text, s.verdict));
  }

  /** An execute of `s` goes to the target, recorded as `text` under `verdict`; returns what its answer is to. */
  #execute(s: Prepared, text: string, verdict: Verdict): Answering {
    this.#hooks.tracker.begin(text, verdict, s.id);
    // The target consumes long data at an execute; a cursor it opens is read with this execute's verdict and columns.
    s.longData = false;
    if (s.cursor?.text === text && s.cursor.verdict === verdict) s.cursor.columns = undefined;
    else s.cursor = { text, verdict, columns: undefined };
    return { kind: 'execute', statement: s };
  }

  /** Sends the command to the target and starts following its answer (to `about`). */
  #forward(p: Packet, shape: ResponseShape, about: Answering): void {
    if (p.payload[0] === com.quit) {
      // Let the target see the goodbye (a destroyed socket would be an "aborted connection" there).
      this.#upstream.end(p.raw);
      this.end('client_closed');
      return;
    }
    if (!this.#sendUpstream(p.raw)) this.#client.pause();
    if (shape === 'none') {
      this.#busy = false;
      return;
    }
    this.#answers.expect(shape, about);
  }

  /**
   * An execute of a statement that needs review: its values are decoded and
   * inlined, and that text is what approvers see and approve. Undefined when
   * the execute was refused (answered already).
   */
  async #judgeExecute(body: Buffer, s: Prepared, verdict: Extract<Verdict, { effect: 'review' }>): Promise<{ text: string; verdict: Verdict } | undefined> {
    const refuse = (text: string, v: Verdict, message: string) => {
      this.#hooks.tracker.stopped(text, v, '1142', message);
      this.#refuse(1142, '42000', message);
      return undefined;
    };
    // fail closed: values streamed with COM_STMT_SEND_LONG_DATA are not in the execute, so an approval could not name them.
    if (s.longData) return refuse(s.text, verdict, `${verdict.message}; parameters sent as long data cannot be reviewed: bind them as plain values`);
    let text: string | undefined;
    try {
      const req = parseExecute(body, s.params, s.types);
      s.types = req.types;
      text = inlineMysqlParameters(s.text, req.literals);
    } catch {
      text = undefined;
    }
    // fail closed: parameters the gateway cannot read (or place) cannot be shown to an approver.
    if (text === undefined) return refuse(s.text, verdict, `${verdict.message}; the bound parameters could not be read for review`);
    const judged = await this.#hooks.review!(text, verdict);
    if (this.#ended) return undefined;
    if (judged.effect !== 'allow' && judged.effect !== 'mask') return refuse(text, judged, judged.message);
    return { text, verdict: judged };
  }

  /** The gateway answers the command itself; the target never sees it. */
  #refuse(code: number, sqlstate: string, message: string): void {
    this.#client.write(packet(1, errPayload({ code, sqlstate, message })));
    this.#busy = false;
  }

  #onUpstream(chunk: Buffer): void {
    let out: Buffer;
    try {
      out = this.#answers.push(chunk);
    } catch (err) {
      if (err instanceof InfileRefused) {
        // fail closed: the target asked for a file it may not have; it gets nothing, and the session ends.
        this.#hooks.tracker.error(1148, err.message);
        this.end(`error: target: ${err.message}`, err.reply);
        return;
      }
      // fail closed: an answer the gateway cannot follow ends the session rather than desynchronise it.
      this.end(`error: target: ${(err as Error).message}`);
      return;
    }
    this.#hooks.onBytes(0, out.length);
    if (out.length > 0 && !this.#sendClient(out)) this.#upstream.pause();
    if (!this.#answers.pending && this.#busy) {
      this.#busy = false;
      this.#pump();
    }
  }
}
