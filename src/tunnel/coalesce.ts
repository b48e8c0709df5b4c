import type { Writable } from 'node:stream';

/**
 * Holds an agent link socket's writes until the end of the current event-loop
 * turn, so that the frames every stream sends in that turn leave in one
 * `writev` instead of one syscall each: on a busy link several sessions'
 * packets arrive in the same turn, and the write syscall (on loopback it also
 * runs the receiver's TCP path) is most of what a frame costs. The peer then
 * reads them in one `read` too.
 *
 * Returns the function to call before each send. The first send of a turn
 * corks the socket and `setImmediate` (which runs after every I/O callback
 * libuv had ready this turn) uncorks it: nothing waits for a timer, and at
 * most one turn's frames are held (each stream's are bounded by its window).
 */
export function coalesceWrites(socket: Writable): () => void {
  let corked = false;
  const flush = () => {
    corked = false;
    // A socket destroyed meanwhile drops its buffered writes; uncork is then a no-op.
    socket.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    socket.cork();
    setImmediate(flush);
  };
}
