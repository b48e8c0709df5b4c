import process from 'node:process';
import type { Writable } from 'node:stream';
import { getSystemErrorName } from 'node:util';
import { writesIdle } from './stream-state.ts';

/**
 * Writes the relays make, straight to a TCP socket's handle when nothing else
 * is being written to it.
 *
 * `socket.write` takes every chunk through Writable's bookkeeping (state,
 * callbacks, an `afterWrite` tick per write) and makes a new WriteWrap (a
 * native object) per write, even when the kernel takes the whole chunk at
 * once, which is nearly always the case for a relay's statement-sized
 * chunks. Here such a write is one call into the handle with a request
 * object that is reused while writes complete at once. Measured with two
 * `onread` byte pipes side by side under sysbench point selects (text, 8
 * threads, 20 interleaved rounds of 5 s): 33.7 → 31.7 µs of the pipe's CPU
 * per transaction, cheaper in 16 of 20 rounds (docs/performance.md,
 * session 20).
 *
 * What `socket.write` would do is kept:
 * - Order. A direct write is made only when the Writable holds nothing (not
 *   connecting, corked, ending or destroyed) and no direct write of this
 *   writer is still in flight; otherwise the chunk goes through
 *   `socket.write`. Writes queued at the handle leave in the order they were
 *   made (libuv's write queue), so a Writable write behind a direct one
 *   cannot overtake it.
 * - Backpressure. A direct write the kernel did not take at once is in
 *   flight: `write` answers false (the caller stops reading its source, as
 *   for a full Writable) and the socket emits 'drain' when it completes.
 * - Errors. A failed write destroys the socket with the error, as Node does.
 * Not kept: `socket.bytesWritten` leaves direct writes out (the relays count
 * their bytes themselves), and `writableNeedDrain` does not see a direct write
 * in flight (a caller that needs to know keeps its own flag from `write`'s
 * answer and 'drain', as the PostgreSQL relay does).
 *
 * It leans on Node internals (the handle's `writeBuffer`, the `WriteWrap`
 * request class and the shared write-result state from the `stream_wrap`
 * binding: what net.Socket itself uses). Where any of them is missing (another
 * Node), for TLS sockets and for streams that are not sockets, `write` is
 * `socket.write`.
 */
export type ChunkSend = (chunk: Buffer) => boolean;

interface WriteResultState {
  WriteWrap: new () => WriteRequest;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

interface WriteRequest {
  handle: unknown;
  oncomplete: (this: WriteRequest, status: number) => void;
  async: boolean;
  bytes: number;
  buffer: Buffer | null;
}

interface StreamHandle {
  writeBuffer(req: WriteRequest, chunk: Buffer): number;
}

/** What a net.Socket adds to a Writable that this module reads (other streams have no `_handle`). */
interface SocketInternals {
  _handle?: StreamHandle | null;
  connecting?: boolean;
  encrypted?: boolean;
}

const binding = loadBinding();

function loadBinding(): WriteResultState | undefined {
  // process.binding is deprecated in documentation only (DEP0111); it warns under --pending-deprecation, so then it is not asked.
  const flags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (flags.includes('--pending-deprecation') || process.env.NODE_PENDING_DEPRECATION === '1') return undefined;
  try {
    const b = (process as unknown as { binding(name: string): Partial<WriteResultState> }).binding('stream_wrap');
    if (typeof b.WriteWrap === 'function' && b.streamBaseState instanceof Int32Array && typeof b.kLastWriteWasAsync === 'number') return b as WriteResultState;
  } catch {
    // No such binding in this Node: every write goes through socket.write.
  }
  return undefined;
}

/** A writer for `socket`'s chunks (see the module comment); `socket.write` itself where direct writes cannot be made. */
export function directWriter(socket: Writable): ChunkSend {
  const s = socket as unknown as SocketInternals;
  const handle = s._handle;
  if (binding === undefined || handle == null || typeof handle.writeBuffer !== 'function' || s.encrypted === true) return (chunk) => socket.write(chunk);
  const { WriteWrap, streamBaseState, kLastWriteWasAsync } = binding;
  let inFlight = 0;
  let spare: WriteRequest | undefined;
  function completed(this: WriteRequest, status: number): void {
    inFlight--;
    this.buffer = null;
    if (socket.destroyed) return;
    if (status < 0) {
      socket.destroy(writeError(status));
      return;
    }
    if (inFlight === 0) socket.emit('drain');
  }
  return (chunk) => {
    if (inFlight > 0 || !writesIdle(socket) || s.connecting === true || s._handle !== handle) return socket.write(chunk);
    const req = spare ?? request(WriteWrap, handle, completed);
    const err = handle.writeBuffer(req, chunk);
    if (err !== 0) {
      spare = req;
      socket.destroy(writeError(err));
      return false;
    }
    if (streamBaseState[kLastWriteWasAsync] === 0) {
      spare = req;
      return true;
    }
    // The kernel did not take all of it: the handle writes the rest later, from this chunk.
    req.buffer = chunk;
    spare = undefined;
    inFlight++;
    return false;
  };
}

function request(WriteWrap: new () => WriteRequest, handle: StreamHandle, oncomplete: WriteRequest['oncomplete']): WriteRequest {
  const req = new WriteWrap();
  req.handle = handle;
  req.oncomplete = oncomplete;
  req.async = false;
  req.bytes = 0;
  req.buffer = null;
  return req;
}

/** An error for a failed write, shaped like Node's (`code` from the libuv status). */
function writeError(status: number): NodeJS.ErrnoException {
  const code = errorName(status);
  const err: NodeJS.ErrnoException = new Error(`write ${code}`);
  err.code = code;
  err.errno = status;
  err.syscall = 'write';
  return err;
}

function errorName(status: number): string {
  try {
    return getSystemErrorName(status);
  } catch {
    return `E${-status}`;
  }
}
