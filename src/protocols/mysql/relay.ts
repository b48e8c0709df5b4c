import type { Socket } from 'node:net';
import type { Verdict } from '../../core/policy/types.ts';
import { com, relayed } from './codec/commands.ts';
import { errPayload, parseErr, parseOk } from './codec/generic.ts';
import { maxPayload, packet, PacketFramer, type Packet } from './codec/packet.ts';
import { parseColumnDef, ResponseReader, type ColumnDef } from './codec/results.ts';
import type { StatementTracker } from './events.ts';

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
   * Asked first for every COM_QUERY: a payload (OK or ERR) means the gateway
   * answers the statement itself (KILL) and neither policy nor the target sees it.
   */
  answerItself?(text: string): Promise<Buffer | undefined>;
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
  readonly #prepared = new Map<number, { text: string; verdict: Verdict }>();
  #answer: ResponseReader | undefined;
  /** Column definitions of the result set being read, until its column EOF. */
  #columns: ColumnDef[] | undefined;
  #preparing: { text: string; verdict: Verdict } | undefined;
  #busy = false;
  #ended = false;

  constructor(client: Socket, upstream: Socket, hooks: RelayHooks) {
    this.#client = client;
    this.#upstream = upstream;
    this.#hooks = hooks;
  }

  start(clientLeftover: Buffer, upstreamLeftover: Buffer): void {
    const c = this.#client;
    const u = this.#upstream;
    c.on('data', (b: Buffer) => this.#onClient(b));
    u.on('data', (b: Buffer) => this.#onUpstream(b));
    c.on('close', () => this.end('client_closed'));
    u.on('close', () => this.end('target_closed'));
    c.on('drain', () => u.resume());
    u.on('drain', () => c.resume());
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

  #onClient(chunk: Buffer): void {
    this.#hooks.onBytes(chunk.length, 0);
    try {
      this.#queue.push(...this.#fromClient.push(chunk));
    } catch (err) {
      // fail closed: bytes that do not frame as packets end this session only.
      this.end(`error: ${(err as Error).message}`);
      return;
    }
    // Buffered commands are judged in order; stop reading while too many wait.
    if (this.#queue.length > 64) this.#client.pause();
    void this.#pump();
  }

  async #pump(): Promise<void> {
    while (!this.#busy && !this.#ended) {
      const p = this.#queue.shift();
      if (!p) {
        this.#client.resume();
        return;
      }
      this.#busy = true;
      try {
        await this.#command(p);
      } catch (err) {
        this.end(`error: ${(err as Error).message}`);
        return;
      }
    }
  }

  /** Handles one client command; leaves `#busy` set while its answer is awaited. */
  async #command(p: Packet): Promise<void> {
    const body = p.payload;
    // fail closed: a command always starts a new sequence; anything else is not a MySQL client.
    if (p.seq !== 0 || body.length === 0) throw new Error('protocol violation: malformed command packet');
    const cmd = body[0]!;
    const shape = relayed.get(cmd);
    if (shape === undefined) {
      this.#refuse(1047, '08S01', `command ${names.get(cmd) ?? `0x${cmd.toString(16)}`} is not supported through Warden`);
      return;
    }
    if (cmd === com.query || cmd === com.stmtPrepare) {
      const text = body.toString('utf8', 1);
      const own = cmd === com.query ? await this.#hooks.answerItself?.(text) : undefined;
      if (this.#ended) return;
      if (own !== undefined) {
        this.#client.write(packet(1, own));
        this.#busy = false;
        return;
      }
      const verdict = await this.#hooks.decide(text, cmd === com.query ? 'query' : 'prepare');
      if (this.#ended) return;
      if (verdict.effect !== 'allow' && verdict.effect !== 'mask') {
        const message = verdict.message;
        this.#hooks.tracker.stopped(text, verdict, '1142', message);
        this.#refuse(1142, '42000', message);
        return;
      }
      if (cmd === com.query) this.#hooks.tracker.begin(text, verdict);
      else this.#preparing = { text, verdict };
    } else if (cmd === com.stmtExecute && body.length >= 5) {
      const id = body.readUInt32LE(1);
      const s = this.#prepared.get(id);
      this.#hooks.tracker.begin(s?.text ?? '', s?.verdict, String(id));
    } else if (cmd === com.stmtFetch && body.length >= 5 && this.#prepared.get(body.readUInt32LE(1))?.verdict.effect === 'mask') {
      // fail closed: rows fetched from a cursor come without column definitions, so they could not be masked.
      this.#refuse(1142, '42000', 'results of this statement are masked, which is not supported with cursors (COM_STMT_FETCH): execute it without a cursor');
      return;
    } else if (cmd === com.stmtClose && body.length >= 5) {
      this.#prepared.delete(body.readUInt32LE(1));
    }
    if (cmd === com.quit) {
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
        for (const p of packets) parts.push(this.#rewrite(p, this.#follow(p.payload)));
        out = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      } else {
        for (const p of packets) this.#follow(p.payload);
      }
    } catch (err) {
      // fail closed: an answer the gateway cannot follow ends the session rather than desynchronise it.
      this.end(`error: target: ${(err as Error).message}`);
      return;
    }
    this.#hooks.onBytes(0, out.length);
    if (out.length > 0 && !this.#client.write(out)) this.#upstream.pause();
    if (this.#answer === undefined && this.#busy) {
      this.#busy = false;
      void this.#pump();
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
  #follow(body: Buffer): Buffer | undefined {
    const answer = this.#answer;
    if (!answer) throw new Error('unsolicited packet');
    const tracker = this.#hooks.tracker;
    const role = answer.next(body);
    let replacement: Buffer | undefined;
    if (role === 'row') replacement = tracker.row(body);
    else if (role === 'column_count') this.#columns = [];
    else if (role === 'column' && this.#columns) this.#columns.push(parseColumnDef(body));
    else if (role === 'eof' && this.#columns) {
      tracker.columns(this.#columns);
      this.#columns = undefined;
    } else if (role === 'ok') tracker.ok(parseOk(body).affectedRows);
    else if (role === 'err') {
      const e = parseErr(body);
      tracker.error(e.code, e.message);
    } else if (role === 'prepare_ok' && this.#preparing) this.#prepared.set(body.readUInt32LE(1), this.#preparing);
    if (answer.done) {
      this.#answer = undefined;
      this.#preparing = undefined;
      tracker.end();
    }
    return replacement;
  }

}
