import type { Socket } from 'node:net';
import type { Verdict } from '../../core/policy/types.ts';
import { com, relayed, type ResponseShape } from './codec/commands.ts';
import { errPayload, parseErr, parseOk } from './codec/generic.ts';
import { maxPayload, packet, PacketFramer, type Packet } from './codec/packet.ts';
import { ResponseReader, type ColumnDef } from './codec/results.ts';
import { ColumnDefs } from './column-defs.ts';
import type { StatementTracker } from './events.ts';
import type { BinaryColumn } from './codec/binary-rows.ts';
import { parseExecute } from './codec/execute.ts';
import { inlineMysqlParameters } from '../../core/sql/mysql/index.ts';

/**
 * The command-phase relay. MySQL is strictly request → answer, so commands
 * run one at a time: a command is judged (COM_QUERY, COM_STMT_PREPARE),
 * forwarded, and its answer followed packet by packet until complete before
 * the next queued command is looked at. The target's bytes are forwarded as
 * they arrive (the chunk itself, once its packets parsed cleanly); while a
 * statement whose results are masked is answered, whole packets are
 * forwarded instead, rows rewritten where masking changed a value. A stopped
 * command is answered by the gateway with ERR 1142 and never reaches the target.
 */
export interface RelayHooks {
  /**
   * Policy (and review) for a statement; the relay forwards `allow` and
   * `mask`, anything else is refused. May wait (a held review): later commands queue.
   */
  decide(text: string, phase: 'query' | 'prepare'): Promise<Verdict>;
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
  readonly #hooks: RelayHooks;
  readonly #fromClient = new PacketFramer(maxCommand);
  readonly #fromUpstream = new PacketFramer(1024 * 1024 * 1024);
  readonly #queue: Packet[] = [];
  /** Statement texts by prepared-statement id, with the verdict of their prepare. */
  readonly #prepared = new Map<number, Prepared>();
  #answer: ResponseReader | undefined;
  /** Column definitions of the result set being read (and of earlier ones, reused when identical). */
  readonly #columns = new ColumnDefs();
  #preparing: Omit<Prepared, 'id'> | undefined;
  /** The COM_QUERY being answered. */
  #query: { text: string; verdict: Verdict } | undefined;
  /** The prepared statement whose COM_STMT_EXECUTE is being answered. */
  #executing: Prepared | undefined;
  /** A LOCAL INFILE request was passed to the client: its packets go to the target until the empty one. */
  #infileOpen = false;
  #busy = false;
  #ended = false;

  constructor(client: Socket, upstream: Socket, hooks: RelayHooks) {
    this.#client = client;
    this.#upstream = upstream;
    this.#hooks = hooks;
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
        if (!this.#upstream.write(p.raw)) this.#client.pause();
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
        this.#client.resume();
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
   * awaited. Returns a promise only when the command waits for a decision
   * (policy, review, a KILL): everything else is handled synchronously.
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
      if (s) this.#execute(s, s.text, s.verdict);
      else this.#hooks.tracker.begin('', undefined, String(id));
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
    this.#forward(p, shape);
    return undefined;
  }

  /** COM_QUERY or COM_STMT_PREPARE: judged (a KILL answered by the gateway), then forwarded or refused. */
  async #statement(p: Packet, cmd: number, shape: ResponseShape): Promise<void> {
    const text = p.payload.toString('utf8', 1);
    const own = cmd === com.query ? this.#hooks.answerItself?.(text) : undefined;
    if (own !== undefined) {
      const answer = await own;
      if (this.#ended) return;
      this.#client.write(packet(1, answer));
      this.#busy = false;
      return;
    }
    const verdict = await this.#hooks.decide(text, cmd === com.query ? 'query' : 'prepare');
    if (this.#ended) return;
    const reviewedAtExecute = cmd === com.stmtPrepare && verdict.effect === 'review' && this.#hooks.review !== undefined;
    if (verdict.effect !== 'allow' && verdict.effect !== 'mask' && !reviewedAtExecute) {
      const message = verdict.message;
      this.#hooks.tracker.stopped(text, verdict, '1142', message);
      this.#refuse(1142, '42000', message);
      return;
    }
    if (cmd === com.query) {
      const learning = this.#hooks.tracker.learn(text, verdict);
      if (learning) {
        await learning;
        if (this.#ended) return;
      }
      this.#hooks.tracker.begin(text, verdict);
      this.#query = { text, verdict };
    } else this.#preparing = { text, verdict, params: 0, longData: false };
    this.#forward(p, shape);
  }

  /** A COM_STMT_EXECUTE of a statement needing review: judged with its values, then forwarded or refused. */
  async #reviewedExecute(p: Packet, s: Prepared, verdict: Extract<Verdict, { effect: 'review' }>, shape: ResponseShape): Promise<void> {
    const run = await this.#judgeExecute(p.payload, s, verdict);
    if (this.#ended || run === undefined) return;
    await this.#hooks.tracker.learn(run.text, run.verdict);
    if (this.#ended) return;
    this.#execute(s, run.text, run.verdict);
    this.#forward(p, shape);
  }

  /** An execute whose statement's views are being learned (masking): forwarded once they are. */
  async #learnedExecute(learning: Promise<void>, p: Packet, s: Prepared, shape: ResponseShape): Promise<void> {
    await learning;
    if (this.#ended) return;
    this.#execute(s, s.text, s.verdict);
    this.#forward(p, shape);
  }

  /** An execute of `s` goes to the target, recorded as `text` under `verdict`. */
  #execute(s: Prepared, text: string, verdict: Verdict): void {
    this.#hooks.tracker.begin(text, verdict, s.id);
    // The target consumes long data at an execute; a cursor it opens is read with this execute's verdict and columns.
    s.longData = false;
    if (s.cursor?.text === text && s.cursor.verdict === verdict) s.cursor.columns = undefined;
    else s.cursor = { text, verdict, columns: undefined };
    this.#executing = s;
  }

  /** Sends the command to the target and starts following its answer. */
  #forward(p: Packet, shape: ResponseShape): void {
    if (p.payload[0] === com.quit) {
      // Let the target see the goodbye (a destroyed socket would be an "aborted connection" there).
      this.#upstream.end(p.raw);
      this.end('client_closed');
      return;
    }
    if (!this.#upstream.write(p.raw)) this.#client.pause();
    if (shape === 'none') {
      this.#busy = false;
      return;
    }
    this.#answer = new ResponseReader(shape);
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
    // Answers to masked statements go packet by packet (a row must be whole to be rewritten);
    // a command's answer is complete before the next command is sent, so no tail spans the switch.
    const whole = this.#hooks.tracker.masking;
    let out = chunk;
    try {
      const packets = this.#fromUpstream.push(chunk);
      if (whole) {
        const parts: Buffer[] = [];
        for (const p of packets) parts.push(this.#rewrite(p, this.#follow(p.payload, p.seq)));
        out = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      } else {
        for (const p of packets) this.#follow(p.payload, p.seq);
      }
    } catch (err) {
      if (err instanceof InfileRefused) {
        // fail closed: the target asked for a file it may not have; it gets nothing, and the session ends.
        this.#hooks.tracker.error(1148, err.message);
        this.end(`error: target: ${err.message}`, packet(err.seq, errPayload({ code: 1148, sqlstate: '42000', message: `LOCAL INFILE refused by Warden: ${err.message}` })));
        return;
      }
      // fail closed: an answer the gateway cannot follow ends the session rather than desynchronise it.
      this.end(`error: target: ${(err as Error).message}`);
      return;
    }
    this.#hooks.onBytes(0, out.length);
    if (out.length > 0 && !this.#client.write(out)) this.#upstream.pause();
    if (this.#answer === undefined && this.#busy) {
      this.#busy = false;
      this.#pump();
    }
  }

  /** A packet as forwarded: its own bytes, or rebuilt around a masked payload with the same sequence id. */
  #rewrite(p: Packet, payload: Buffer | undefined): Buffer {
    if (payload === undefined) return p.raw;
    // fail closed: a split packet whose rewrite would change the sequence ids that follow ends the session.
    if (p.seq !== p.lastSeq || payload.length >= maxPayload) throw new Error('a masked row of 16 MiB or more cannot be rewritten');
    return packet(p.seq, payload);
  }

  /**
   * One packet of the current answer: for the recording, and to know when the
   * answer is complete. Returns a replacement payload for a masked row.
   */
  #follow(body: Buffer, seq: number): Buffer | undefined {
    const answer = this.#answer;
    if (!answer) throw new Error('unsolicited packet');
    const tracker = this.#hooks.tracker;
    const role = answer.next(body);
    let replacement: Buffer | undefined;
    if (role === 'row') replacement = tracker.row(body);
    else if (role === 'column_count') this.#columns.start();
    else if (role === 'column') this.#columns.add(body);
    else if (role === 'eof' && this.#columns.collecting) {
      const defs = this.#columns.finish();
      if (this.#executing?.cursor) this.#executing.cursor.columns = defs;
      tracker.columns(defs);
    } else if (role === 'ok') tracker.ok(parseOk(body).affectedRows);
    else if (role === 'err') {
      const e = parseErr(body);
      tracker.error(e.code, e.message);
    } else if (role === 'prepare_ok' && this.#preparing) {
      const id = body.readUInt32LE(1);
      this.#prepared.set(id, { ...this.#preparing, params: body.readUInt16LE(7), id: String(id) });
    } else if (role === 'infile') {
      const requested = body.toString('utf8', 1);
      const refusal = this.#hooks.localInfile ? this.#hooks.localInfile(this.#query, requested) : 'LOCAL INFILE is not enabled';
      if (refusal !== undefined) throw new InfileRefused(refusal, seq);
      this.#infileOpen = true;
    }
    if (answer.done) {
      this.#answer = undefined;
      this.#preparing = undefined;
      this.#query = undefined;
      this.#executing = undefined;
      tracker.end();
    }
    return replacement;
  }

}

/** A prepared statement: its text and prepare verdict, parameter count, and what reviewing its executes needs. */
interface Prepared {
  /** The statement id as recorded (a string, made once). */
  id: string;
  text: string;
  verdict: Verdict;
  params: number;
  /** Parameter types bound by the last execute (a later one may omit them). */
  types?: BinaryColumn[];
  /** COM_STMT_SEND_LONG_DATA was used since the last execute or reset. */
  longData: boolean;
  /** What the last execute ran (its cursor, if it opened one, is fetched under it) and the columns it answered. */
  cursor?: { text: string; verdict: Verdict; columns: readonly ColumnDef[] | undefined };
}

/** A target's LOCAL INFILE request the gateway does not pass on; `seq`: that of the request, for the ERR that replaces it. */
class InfileRefused extends Error {
  constructor(message: string, readonly seq: number) {
    super(message);
  }
}
