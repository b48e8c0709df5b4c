import { connect, Socket, type OnReadOpts } from 'node:net';
import { emitsAtOnce } from './stream-state.ts';

/**
 * Every socket made by `connectOnread` reads into this one buffer (Node's
 * `onread`). Sound because a read is consumed synchronously: its bytes are
 * copied out before the callback returns, and the next read (on any of these
 * sockets) only happens on a later turn of the event loop.
 */
const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * `sharedReadBuffer`'s first n bytes, by n, for reads under 4 KiB (those Buffer.allocUnsafe takes
 * from its pool): copying a read out then creates one typed array (the owned Buffer) instead of two
 * (a subarray view, then Buffer.from's): ~150 → ~90 ns per read measured in isolation; through a
 * relay under sysbench point selects the saving is below a 2-core VM's noise (B won 36 of 54
 * interleaved rounds). Sizes repeat (the same replies over and over); at most 4096 views are made.
 */
const readPrefixes: Buffer[] = [];
const cachedPrefixBelow = 4096;

/** An owned copy of the first `n` bytes of the shared read buffer (where every read lands). */
function copyRead(n: number): Buffer {
  const chunk = Buffer.allocUnsafe(n);
  chunk.set(n < cachedPrefixBelow ? (readPrefixes[n] ??= sharedReadBuffer.subarray(0, n)) : sharedReadBuffer.subarray(0, n));
  return chunk;
}

/**
 * A TCP connection to a target whose reads skip the Readable stream machinery
 * when they can: each read is copied into a Buffer of its own (the consumer
 * may keep it) and emitted as 'data' at once. The saving is the Readable
 * bookkeeping (readableAddChunk, maybeReadMore ticks), not the copy: measured
 * on a 2-core VM, the gateway's CPU per sysbench point select (bench/mysql-ab.sh)
 * of ~30 µs was lower in 25 of 29 rounds in text mode (per run, a median
 * 0.2–2.5 µs lower) and 27 of 29 prepared (1.1–2.5 µs), and per pgbench -S
 * transaction (bench/pg-relay-sockets.ts) ~0.2–0.9 µs of ~17 lower.
 *
 * Consumers see a plain socket's semantics: whenever the direct emit would
 * differ from what Readable does (paused, not yet flowing, bytes already
 * buffered, an encoding set), the copy is pushed into the Readable instead,
 * so it is buffered in order; EOF, errors, destroy and pause()/resume() (which
 * stop and restart the handle's reads for onread sockets) are Node's own. A
 * TLS layer made over it (tls.connect({ socket })) takes the handle's reads
 * over and first drains what the Readable buffered.
 *
 * One difference, on purpose: bytes that arrive while the socket flows with no
 * 'data' listener (a connection phase's reader has detached, the relay has not
 * attached yet), which a plain socket emits to nobody, are held and reading
 * stops; the next 'data' listener gets them first, on the next tick (after
 * whatever the consumer hands it synchronously, such as a reader's leftover).
 * Held bytes never reach a TLS layer made meanwhile: bytes a target sends
 * before the TLS handshake are not the handshake's.
 */
export function connectOnread(host: string, port: number): Socket {
  const socket: Socket = connect({ host, port, noDelay: true, onread: onreadFor(() => socket) });
  return socket;
}

/**
 * `connectOnread` in the shape of ws's `createConnection` option (called with the request's
 * options, of which only host and port mean the TCP connection: `path` there is the URL's).
 */
export function createOnreadConnection(options: { host?: string | null; port?: number | string | null }): Socket {
  return connectOnread(options.host ?? 'localhost', Number(options.port));
}

/**
 * An accepted client connection (from a server made with `pauseOnConnect`, so nothing was read
 * yet) as a socket that reads like `connectOnread`'s: the client side of every relay reads as
 * often as the target side, and this saved the gateway about as much again (bench/mysql-ab.sh,
 * paired rounds: ~0.5–2.8 µs per sysbench point select). Node 20's servers give accepted sockets
 * no `onread` option, so the accepted socket's handle is wrapped in a new Socket: `_handle` and
 * the `handle` option are Node internals (its own child_process and cluster use them). The
 * server counts the accepted socket, so that one is destroyed (without its handle) when the new
 * one closes, or `server.close()` would wait forever. Where the handle is not there (another
 * Node), the accepted socket is used as it is.
 */
export function adoptOnread(accepted: Socket): Socket {
  const internal = accepted as unknown as { _handle?: { readStart?: unknown } | null };
  const handle = internal._handle;
  if (typeof handle?.readStart !== 'function') return asAccepted(accepted);
  internal._handle = null;
  const socket: Socket = new Socket({ handle, onread: onreadFor(() => socket) } as ConstructorParameters<typeof Socket>[0]);
  socket.once('close', () => accepted.destroy());
  socket.setNoDelay(true);
  return socket;
}

/** A socket accepted with `pauseOnConnect` as a server without it hands it over: not flowing until a 'data' listener comes (which starts the reads). */
export function asAccepted(socket: Socket): Socket {
  (socket as { readableFlowing: boolean | null }).readableFlowing = null;
  return socket;
}

/** The `onread` option for `get()`'s socket: each read copied, and delivered as the header says. */
function onreadFor(get: () => Socket): OnReadOpts {
  const held: Buffer[] = [];
  const flush = () => {
    const socket = get();
    if (held.length === 0) return;
    socket.off('newListener', onNewListener);
    const chunks = held.splice(0);
    if (socket.destroyed) return;
    for (const chunk of chunks) deliver(chunk);
    // Holding stopped the handle's reads; a flowing socket reads on.
    if (held.length === 0 && socket.readableFlowing === true) socket.resume();
  };
  const onNewListener = (event: string | symbol) => {
    if (event === 'data') process.nextTick(flush);
  };
  /** False stops the handle's reads: until a listener takes the held bytes, or until the full Readable is drained (net's _read restarts them). */
  const deliver = (chunk: Buffer): boolean => {
    const socket = get();
    if (held.length > 0) return held.push(chunk), false;
    if (!emitsAtOnce(socket)) return socket.push(chunk);
    if (socket.listenerCount('data') > 0) return socket.emit('data', chunk), true;
    held.push(chunk);
    socket.on('newListener', onNewListener);
    return false;
  };
  return { buffer: sharedReadBuffer, callback: (n: number): boolean => deliver(copyRead(n)) };
}
