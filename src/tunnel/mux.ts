import type { Socket } from 'node:net';
import { WardenError } from '../core/errors.ts';
import { decodeFrame, defaultWindowBytes, encodeFrame, frameTypes, type Frame, type ReplicaRef } from './frames.ts';
import { SocketSplice } from './splice.ts';
import { TunnelStream } from './stream.ts';

/** What the agent does with a gateway's request for a new stream: the connected target socket, or throw to refuse (the message reaches the user). */
export type DialHandler = (host: string, port: number) => Promise<Socket>;
/** What the agent does with one auth step for a stream to host:port: the answer to send back (`stream` identifies the stream, for state kept across steps). */
export type AuthHandler = (stream: object, host: string, port: number, body: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * Many streams over one message link (a WebSocket). The same class runs on
 * both ends: the gateway `open`s streams (a `TunnelStream` each, a Duplex the
 * protocols use like a socket), the agent answers them through its `dial`
 * handler and splices the target socket to the link (`SocketSplice`: no
 * stream object in between). The link is abstracted as `send` + `receive`.
 */
export class Mux {
  readonly #send: (frame: Buffer) => void;
  readonly #encode: (f: Frame) => Buffer;
  readonly #dial: DialHandler | undefined;
  readonly #onReplicas: ((self: string, replicas: ReplicaRef[]) => void) | undefined;
  readonly #onAuth: AuthHandler | undefined;
  /** Agent side: where each accepted stream goes, for auth steps. */
  readonly #targets = new Map<number, { host: string; port: number }>();
  readonly #window: number;
  readonly #streams = new Map<number, TunnelStream | SocketSplice>();
  readonly #opening = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #closed: Error | undefined;

  /**
   * `send` gets each frame as `encode` made it: the tunnel codec by default; on a WebSocket
   * link, the whole message (`linkWire`), which `receive` is still given without its header.
   */
  constructor(opts: {
    send: (frame: Buffer) => void;
    encode?: (f: Frame) => Buffer;
    dial?: DialHandler;
    onReplicas?: (self: string, replicas: ReplicaRef[]) => void;
    onAuth?: AuthHandler;
    windowBytes?: number;
  }) {
    this.#onAuth = opts.onAuth;
    this.#send = opts.send;
    this.#encode = opts.encode ?? encodeFrame;
    this.#dial = opts.dial;
    this.#onReplicas = opts.onReplicas;
    this.#window = opts.windowBytes ?? defaultWindowBytes;
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Asks the far end to dial host:port; resolves once it did, rejects with its refusal. */
  open(host: string, port: number, signal?: AbortSignal): Promise<TunnelStream> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
    const stream = this.#stream(id);
    return new Promise<TunnelStream>((resolve, reject) => {
      const onAbort = () => {
        this.#opening.delete(id);
        stream.destroy(new Error('timed out'));
        reject(new WardenError('upstream_unavailable', `the agent did not open ${host}:${port} in time`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#opening.set(id, {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(stream);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      this.#frame({ type: 'open', id, host, port });
    });
  }

  /** One message from the link. Throws on a malformed frame: the caller drops the link. */
  receive(message: Buffer): void {
    // Every session byte comes as a data frame: read it without making a frame object (decodeFrame's
    // checks for one are these two).
    if (message.length >= 5 && message[0] === frameTypes.data) {
      // A late frame for a stream already gone is harmless.
      this.#streams.get(message.readUInt32BE(1))?.receive(message.subarray(5));
      return;
    }
    const f = decodeFrame(message);
    if (f.type === 'open') return this.#accept(f.id, f.host, f.port);
    // A replica list is about the link, not a stream; a side that does not expect one ignores it.
    if (f.type === 'replicas') return this.#onReplicas?.(f.self, f.replicas);
    const stream = this.#streams.get(f.id);
    if (stream === undefined) return; // a late frame for a stream already gone: harmless
    switch (f.type) {
      case 'opened':
        this.#opening.get(f.id)?.resolve();
        this.#opening.delete(f.id);
        return;
      case 'data':
        return stream.receive(f.data);
      case 'credit':
        return stream.grant(f.bytes);
      case 'auth':
        return this.#auth(stream, f.body);
      case 'end':
        return stream.remoteEnd();
      case 'error': {
        const opening = this.#opening.get(f.id);
        this.#opening.delete(f.id);
        opening?.reject(new WardenError('upstream_unavailable', f.message));
        return stream.remoteError(f.message);
      }
    }
  }

  /** Gateway → agent: the replica this link reached and every live replica. */
  announceReplicas(self: string, replicas: ReplicaRef[]): void {
    this.#frame({ type: 'replicas', id: 0, self, replicas });
  }

  /** The link is gone: every stream on it ends with `reason`. */
  close(reason: Error): void {
    this.#closed ??= reason;
    for (const o of this.#opening.values()) o.reject(reason);
    this.#opening.clear();
    for (const s of [...this.#streams.values()]) s.remoteError(reason.message);
  }

  #accept(id: number, host: string, port: number): void {
    // fail closed: a side without a dial handler (the gateway) never dials for its peer.
    if (this.#dial === undefined || this.#streams.has(id) || this.#closed) {
      this.#frame({ type: 'error', id, message: 'this end does not accept streams' });
      return;
    }
    const splice = new SocketSplice(id, (f) => this.#frame(f), this.#window, (gone) => this.#forget(gone));
    this.#streams.set(id, splice);
    this.#targets.set(id, { host, port });
    void this.#dial(host, port).then(
      // 'opened' goes out before any data frame: the socket's first 'data' is a later I/O event.
      (socket) => splice.attach(socket) && this.#frame({ type: 'opened', id }),
      (err: Error) => splice.fail(err.message),
    );
  }

  #auth(stream: TunnelStream | SocketSplice, body: Record<string, unknown>): void {
    const target = this.#targets.get(stream.id);
    // The gateway side gets answers; the agent side answers, and only for streams it opened.
    if (this.#onAuth === undefined || target === undefined || !(stream instanceof SocketSplice)) return stream.answer(body);
    this.#onAuth(stream, target.host, target.port, body).then(
      (answer) => stream.reply(answer),
      // fail closed: an answer that cannot be computed is a refusal the gateway reports.
      (err: Error) => stream.reply({ ok: false, message: err.message }),
    );
  }

  #stream(id: number): TunnelStream {
    const s = new TunnelStream(id, (f) => this.#frame(f), this.#window, (gone) => this.#forget(gone));
    // A stream's end is reported to whoever uses it ('close', or their own 'error' listener); an
    // unobserved reset must never crash the process that carries every other session.
    s.on('error', () => undefined);
    this.#streams.set(id, s);
    return s;
  }

  #forget(id: number): void {
    this.#streams.delete(id);
    this.#targets.delete(id);
  }

  #frame(f: Frame): void {
    if (this.#closed) return;
    this.#send(this.#encode(f));
  }
}
