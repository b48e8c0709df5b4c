import { connect, type Socket } from 'node:net';
import { directWriter, type ChunkSend } from '../transport/direct-write.ts';
import { maxDataBytes, type Frame } from './frames.ts';

/**
 * Every target socket made by `connectTarget` reads into this one buffer (Node's
 * `onread`): a read then allocates no Buffer and skips the Readable stream
 * machinery ('data' events, read-more ticks), and its bytes are copied once,
 * into the data frame. Sound because a read is consumed synchronously: the
 * frame is encoded before the next read overwrites the buffer, and the bytes
 * held for want of credit are copied out (`SocketSplice`).
 */
const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);

/** Where a `connectTarget` socket's reads go: buffered (copied) until a splice attaches. */
interface ReadSink {
  deliver: ((chunk: Buffer, borrowed: boolean) => void) | undefined;
  early: Buffer[];
}
const sinks = new WeakMap<Socket, ReadSink>();

/** A TCP connection to a target for `SocketSplice`, reading through the shared buffer (plain sockets work too, with 'data' events). */
export function connectTarget(host: string, port: number): Socket {
  const sink: ReadSink = { deliver: undefined, early: [] };
  const socket = connect({
    host,
    port,
    noDelay: true,
    onread: {
      buffer: sharedReadBuffer,
      callback: (n: number, buf: Uint8Array): boolean => {
        const chunk = (buf as Buffer).subarray(0, n);
        // The splice pauses the socket itself when credit runs out.
        if (sink.deliver !== undefined) return sink.deliver(chunk, true), true;
        // A target that speaks first (MySQL's greeting, SSH's banner) before the splice attaches:
        // keep a copy and read no further (nor its FIN) until the splice resumes the socket.
        sink.early.push(Buffer.from(chunk));
        return false;
      },
    },
  });
  sinks.set(socket, sink);
  return socket;
}

/**
 * The agent's end of one stream: the target's TCP socket spliced straight to
 * the link, with no stream object in between. Link data is written into the
 * socket as it arrives and socket data leaves as data frames, under the same
 * credit rules as `TunnelStream` (so the gateway side cannot tell them apart):
 *
 * - link → target: a data frame is written to the socket at once; its bytes
 *   count as consumed (and go back to the gateway as credit, a quarter window
 *   at a time) only while the socket takes writes without backpressure, else
 *   on its 'drain'. The gateway never has more than one window in flight, so
 *   the socket never buffers more than that.
 * - target → link: socket data is sent while credit lasts; the rest is held
 *   and the socket paused until the gateway grants more (at most one read is held).
 *
 * Ends: the target's FIN becomes an end frame (after any held bytes), the
 * gateway's end frame ends the socket's writing side; an error on either side
 * resets the other. Forgotten (`onGone`) once both sides are done.
 */
export class SocketSplice {
  readonly id: number;
  readonly #send: (f: Frame) => void;
  readonly #window: number;
  readonly #onGone: (id: number) => void;
  #socket: Socket | undefined;
  /** Writes to `#socket` (straight to its handle when it is idle: transport/direct-write.ts). */
  #write: ChunkSend = () => false;
  #credit: number;
  /** Target bytes read but not yet sent for want of credit (the socket is paused meanwhile). */
  #held: Buffer | undefined;
  #unacked = 0;
  /** The target sent FIN: an end frame goes out once `#held` is sent. */
  #targetEnded = false;
  #endSent = false;
  #peerEnded = false;
  /** The peer knows the stream is over (it sent error, or we did). */
  #peerGone = false;
  #gone = false;
  #failure: string | undefined;

  constructor(id: number, send: (f: Frame) => void, window: number, onGone: (id: number) => void) {
    this.id = id;
    this.#send = send;
    this.#window = window;
    this.#credit = window;
    this.#onGone = onGone;
  }

  /** The target answered: splice its socket. False when the gateway gave up meanwhile (the socket is then destroyed). */
  attach(socket: Socket): boolean {
    if (this.#gone) {
      socket.destroy();
      return false;
    }
    this.#socket = socket;
    this.#write = directWriter(socket);
    const sink = sinks.get(socket);
    if (sink === undefined) socket.on('data', (chunk: Buffer) => this.#fromTarget(chunk, false));
    else {
      sink.deliver = (chunk, borrowed) => this.#fromTarget(chunk, borrowed);
      for (const chunk of sink.early.splice(0)) this.#fromTarget(chunk, false);
      // Reading stopped at the first early read; it goes on unless credit ran out meanwhile.
      if (this.#held === undefined) socket.resume();
    }
    socket.on('drain', () => this.#ack());
    socket.on('end', () => {
      this.#targetEnded = true;
      this.#flush();
    });
    // 'close' follows with hadError; the gateway is told the error's message.
    socket.on('error', (err: NodeJS.ErrnoException) => (this.#failure ??= err.code ?? err.message));
    socket.on('close', (hadError) => this.#socketClosed(hadError));
    return true;
  }

  /** The dial failed: the gateway's open is refused with `message`. */
  fail(message: string): void {
    this.#reset(message);
  }

  /** A data frame from the gateway. */
  receive(data: Buffer): void {
    const socket = this.#socket;
    // A target that hung up takes no more bytes; they are dropped and never acknowledged.
    if (socket === undefined || this.#gone || socket.writableEnded || socket.destroyed) return;
    if (this.#unacked + data.length > this.#window) return this.#reset('the peer sent more than its flow-control window allows');
    this.#unacked += data.length;
    if (this.#write(data)) this.#ack();
  }

  /** A credit frame from the gateway: it consumed `bytes` more of ours. */
  grant(bytes: number): void {
    this.#credit += bytes;
    this.#flush();
  }

  /** An end frame: the gateway writes no more; the socket's writing side ends after what it holds. */
  remoteEnd(): void {
    this.#peerEnded = true;
    if (this.#socket === undefined || this.#socket.destroyed) return this.#retireIfDone();
    this.#socket.end();
  }

  /** An error frame (or the link dropped): the target connection is reset. */
  remoteError(_message: string): void {
    this.#peerGone = true;
    this.#socket?.destroy();
    this.#retire();
  }

  /** Sends the answer to one auth step. */
  reply(body: Record<string, unknown>): void {
    if (!this.#gone) this.#send({ type: 'auth', id: this.id, body });
  }

  /** Auth answers go the other way (gateway side): one arriving here is ignored. */
  answer(_body: Record<string, unknown>): void {}

  /** `borrowed`: `chunk` is the shared read buffer, overwritten by the next read. */
  #fromTarget(chunk: Buffer, borrowed: boolean): void {
    this.#held = this.#held === undefined ? chunk : Buffer.concat([this.#held, chunk]);
    this.#flush();
    // What credit did not let out must outlive this read: copy it (the socket is paused meanwhile).
    if (borrowed && this.#held !== undefined && this.#held.buffer === chunk.buffer) this.#held = Buffer.from(this.#held);
  }

  #flush(): void {
    let held = this.#held;
    while (held !== undefined && this.#credit > 0 && !this.#gone) {
      const n = Math.min(this.#credit, held.length, maxDataBytes);
      this.#send({ type: 'data', id: this.id, data: n === held.length ? held : held.subarray(0, n) });
      this.#credit -= n;
      held = n === held.length ? undefined : held.subarray(n);
    }
    this.#held = held;
    const socket = this.#socket;
    if (held !== undefined) socket?.pause();
    else if (socket?.isPaused()) socket.resume();
    if (held === undefined && this.#targetEnded && !this.#endSent && !this.#gone) {
      this.#endSent = true;
      this.#send({ type: 'end', id: this.id });
      this.#retireIfDone();
    }
  }

  #ack(): void {
    // Credit in batches (a quarter window) keeps credit frames rare, as TunnelStream does.
    if (this.#unacked >= this.#window / 4 && !this.#gone) {
      const bytes = this.#unacked;
      this.#unacked = 0;
      this.#send({ type: 'credit', id: this.id, bytes });
    }
  }

  #socketClosed(hadError: boolean): void {
    // Clean: the target sent FIN and everything it sent reaches the gateway; wait for the gateway's end.
    if (!hadError && this.#targetEnded) return this.#retireIfDone();
    this.#reset(hadError ? `the target connection failed: ${this.#failure ?? 'error'}` : 'the target closed the connection');
  }

  #retireIfDone(): void {
    if (this.#endSent && this.#peerEnded && (this.#socket === undefined || this.#socket.destroyed)) this.#retire();
  }

  #reset(message: string): void {
    if (!this.#peerGone && !this.#gone) this.#send({ type: 'error', id: this.id, message });
    this.#peerGone = true;
    this.#socket?.destroy();
    this.#retire();
  }

  #retire(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#held = undefined;
    this.#onGone(this.id);
  }
}
