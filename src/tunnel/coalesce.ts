import type { Writable } from 'node:stream';
import { directWriter } from '../transport/direct-write.ts';

/** Turns whose messages add up to more than this go out as a writev of them rather than one copy. */
const copyBelow = 64 * 1024;

/**
 * Gathers the agent link's messages until the end of the current event-loop
 * turn and writes them as one buffer: on a busy link several sessions' frames
 * are sent in the same turn, and the write syscall (on loopback it also runs
 * the receiver's TCP path) is most of what a frame costs. One copy of a turn's
 * few small messages costs less than Writable's buffering of each and a native
 * writev (bench/agent-ab.sh, 10 rounds: 0.9 µs per transaction less on the
 * gateway and on the agent, each, than corking the socket for the turn); a
 * turn of more than 64 KiB (bulk data) is corked and written as a writev.
 *
 * `setImmediate` (which runs after every I/O callback libuv had ready this
 * turn) writes them: nothing waits for a timer, and at most one turn's messages
 * are held (each stream's are bounded by its window).
 *
 * ws writes its own frames (ping, pong, close) straight into the socket, so one
 * may go ahead of the turn's messages: harmless for ping and pong, and a close
 * is never followed by data, because messages are taken and written only while
 * `isOpen()` (ws is CLOSING from the moment it sends one): a turn in which the
 * link stopped being open is dropped, as its streams end with the link.
 * (Wrapping `socket.write` to put the messages first would change the socket's
 * shape for Node's stream code, which cost more than this saves.)
 *
 * Returns the function that sends one message.
 */
export function coalesceWrites(socket: Writable, isOpen: () => boolean): (message: Buffer) => void {
  // A turn's one buffer goes straight to the handle when the socket is idle (transport/direct-write.ts).
  const write = directWriter(socket);
  let held: Buffer[] = [];
  let bytes = 0;
  const atTurnEnd = () => {
    const list = held;
    const n = bytes;
    held = [];
    bytes = 0;
    // A turn in which the link stopped being open is dropped: nothing may follow a close frame.
    if (!isOpen() || socket.destroyed) return;
    if (list.length === 1) write(list[0]!);
    else if (n <= copyBelow) write(Buffer.concat(list, n));
    else {
      socket.cork();
      for (const m of list) socket.write(m);
      socket.uncork();
    }
  };
  return (message) => {
    if (!isOpen()) return;
    // The turn's first message schedules its write.
    if (held.push(message) === 1) setImmediate(atTurnEnd);
    bytes += message.length;
  };
}
