import type { Verdict } from '../../core/policy/types.ts';
import type { ResponseShape } from './codec/commands.ts';
import type { BinaryColumn } from './codec/binary-rows.ts';
import { errPayload, parseErr, parseOk } from './codec/generic.ts';
import { maxPayload, packet, PacketFramer, type Packet } from './codec/packet.ts';
import { ResponseReader, type ColumnDef, type PacketRole } from './codec/results.ts';
import { ColumnDefs } from './column-defs.ts';
import type { StatementTracker } from './events.ts';

/**
 * The target's side of the command phase: frames the bytes it sends,
 * follows the answer to the one command in flight packet by packet (what
 * each packet is, when the answer is complete), and tells the tracker what
 * it saw (column definitions, rows, OK, ERR). Returns the bytes to forward
 * to the client: the chunk itself, or — while the statement's results are
 * masked — the packets rebuilt around rows whose values masking changed.
 * No I/O: the relay writes what it gets back.
 */
export class Answers {
  readonly #tracker: StatementTracker;
  readonly #hooks: AnswerHooks;
  /** Statements the target prepared, by id: added here when it acknowledges a prepare. */
  readonly #prepared: Map<number, Prepared>;
  readonly #framer = new PacketFramer(1024 * 1024 * 1024);
  #reader: ResponseReader | undefined;
  /** Column definitions of the result set being read (and of earlier ones, reused when identical). */
  readonly #columns = new ColumnDefs();
  /** The command being answered, when its answer matters beyond the recording. */
  #about: Answering = undefined;

  constructor(tracker: StatementTracker, prepared: Map<number, Prepared>, hooks: AnswerHooks) {
    this.#tracker = tracker;
    this.#prepared = prepared;
    this.#hooks = hooks;
  }

  /** A command went to the target: its answer, of `shape`, is followed next. */
  expect(shape: ResponseShape, about: Answering): void {
    this.#reader = new ResponseReader(shape);
    this.#about = about;
  }

  /** Whether an answer is still (or not yet wholly) received. */
  get pending(): boolean {
    return this.#reader !== undefined;
  }

  /**
   * The bytes to forward for `chunk`. Throws InfileRefused for a LOCAL
   * INFILE request that may not reach the client, and any other error for
   * an answer that cannot be followed (the session cannot go on in step).
   */
  push(chunk: Buffer): Buffer {
    // Answers to masked statements go packet by packet (a row must be whole to be rewritten);
    // a command's answer is complete before the next command is sent, so no tail spans the switch.
    const whole = this.#tracker.masking;
    if (!whole) {
      // The common case, a chunk of whole packets, is read in place; the framer takes what is left
      // (a packet cut at the chunk's end, one of 16 MiB or more, or anything after a held tail).
      const taken = this.#framer.pending === 0 ? this.#followInPlace(chunk) : 0;
      if (taken < chunk.length) for (const p of this.#framer.push(taken === 0 ? chunk : chunk.subarray(taken))) this.#follow(p.payload, 0, p.payload.length, p.seq);
      return chunk;
    }
    const packets = this.#framer.push(chunk);
    const parts: Buffer[] = [];
    for (const p of packets) parts.push(rewrite(p, this.#follow(p.payload, 0, p.payload.length, p.seq)));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /**
   * Follows the whole single-part packets at the start of `chunk` without a
   * Packet object each (a payload is sliced only when it is read: rows,
   * column definitions, OK, ERR); returns the offset of the first packet it
   * did not take.
   */
  #followInPlace(chunk: Buffer): number {
    let off = 0;
    while (chunk.length - off >= 4) {
      const len = chunk[off]! | (chunk[off + 1]! << 8) | (chunk[off + 2]! << 16);
      if (len >= maxPayload || chunk.length - off - 4 < len) break;
      this.#follow(chunk, off + 4, off + 4 + len, chunk[off + 3]!);
      off += 4 + len;
    }
    return off;
  }

  /**
   * One packet of the current answer, the payload at `buf[start, end)`: for
   * the recording, and to know when the answer is complete. Returns a
   * replacement payload for a masked row.
   */
  #follow(buf: Buffer, start: number, end: number, seq: number): Buffer | undefined {
    const answer = this.#reader;
    if (!answer) throw new Error('unsolicited packet');
    const role = answer.nextIn(buf, start, end);
    let replacement: Buffer | undefined;
    // Column counts and EOFs are not read further, and definitions are compared in place: no view of their payload is made.
    if (role === 'column_count') this.#columns.start();
    else if (role === 'eof') {
      if (this.#columns.collecting) this.#columnsEnded();
    } else if (role === 'column') this.#columns.add(buf, start, end);
    else if (role !== 'other') replacement = this.#read(role, start === 0 && end === buf.length ? buf : buf.subarray(start, end), seq);
    if (answer.done) {
      this.#reader = undefined;
      this.#about = undefined;
      this.#tracker.end();
    }
    return replacement;
  }

  /** The EOF after a result's column definitions: the tracker gets them (and a cursor the execute opened). */
  #columnsEnded(): void {
    const defs = this.#columns.finish();
    const about = this.#about;
    if (about?.kind === 'execute' && about.statement.cursor) about.statement.cursor.columns = defs;
    this.#tracker.columns(defs);
  }

  /** A packet whose payload is read: a row (its replacement when masked), OK, ERR, a prepare's OK, a LOCAL INFILE request. */
  #read(role: Exclude<PacketRole, 'column_count' | 'column' | 'eof' | 'other'>, body: Buffer, seq: number): Buffer | undefined {
    const tracker = this.#tracker;
    if (role === 'row') return tracker.row(body);
    if (role === 'ok') tracker.ok(parseOk(body).affectedRows);
    else if (role === 'err') {
      const e = parseErr(body);
      tracker.error(e.code, e.message);
    } else if (role === 'prepare_ok' && this.#about?.kind === 'prepare') {
      const id = body.readUInt32LE(1);
      this.#prepared.set(id, { ...this.#about.statement, params: body.readUInt16LE(7), id: String(id) });
    } else if (role === 'infile') {
      const requested = body.toString('utf8', 1);
      const about = this.#about;
      const statement = about?.kind === 'query' ? about : undefined;
      const refusal = this.#hooks.localInfile ? this.#hooks.localInfile(statement, requested) : 'LOCAL INFILE is not enabled';
      if (refusal !== undefined) throw new InfileRefused(refusal, seq);
      this.#hooks.infileOpened(requested);
    }
    return undefined;
  }
}

export interface AnswerHooks {
  /** See RelayHooks.localInfile: undefined lets the request through, a string is why it is refused. */
  localInfile?(statement: { text: string; verdict: Verdict } | undefined, requested: string): string | undefined;
  /** A LOCAL INFILE request for `requested` goes to the client: the client's file packets go to the target until the empty one. */
  infileOpened(requested: string): void;
}

/**
 * What the answer in flight is to, where it matters: a COM_QUERY (LOCAL
 * INFILE is judged by its text), a COM_STMT_PREPARE (its OK registers the
 * statement), a COM_STMT_EXECUTE (a cursor it opens keeps its columns).
 */
export type Answering =
  | { kind: 'query'; text: string; verdict: Verdict }
  | { kind: 'prepare'; statement: Omit<Prepared, 'id' | 'params'> }
  | { kind: 'execute'; statement: Prepared }
  | undefined;

/** A prepared statement: its text and prepare verdict, parameter count, and what reviewing its executes needs. */
export interface Prepared {
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
export class InfileRefused extends Error {
  constructor(message: string, readonly seq: number) {
    super(message);
  }

  /** The ERR the client gets instead of the request. */
  get reply(): Buffer {
    return packet(this.seq, errPayload({ code: 1148, sqlstate: '42000', message: `LOCAL INFILE refused by Warden: ${this.message}` }));
  }
}

/** A packet as forwarded: its own bytes, or rebuilt around a masked payload with the same sequence id. */
function rewrite(p: Packet, payload: Buffer | undefined): Buffer {
  if (payload === undefined) return p.raw;
  // fail closed: a split packet whose rewrite would change the sequence ids that follow ends the session.
  if (p.seq !== p.lastSeq || payload.length >= maxPayload) throw new Error('a masked row of 16 MiB or more cannot be rewritten');
  return packet(p.seq, payload);
}
