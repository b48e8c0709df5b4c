import { EventEmitter } from 'node:events';

/** A socket as the protocol relays use it, for in-process benches: writes go to `onWrite`, the bench emits 'data'. */
export class FakeSocket extends EventEmitter {
  onWrite: (b: Buffer) => void = () => {};
  destroyed = false;
  writableEnded = false;
  writableNeedDrain = false;
  write(b: Buffer): boolean {
    this.onWrite(b);
    return true;
  }
  end(): void {}
  destroy(): void {}
  #paused = false;
  pause(): void {
    this.#paused = true;
  }
  resume(): void {
    this.#paused = false;
  }
  isPaused(): boolean {
    return this.#paused;
  }
}

/**
 * One exchange through a relay between two fake sockets: `command` arrives from the client,
 * and once the relay has written to the target, `reply` arrives from the target. Takes over
 * `upstream.onWrite`.
 */
export function roundTripper(client: FakeSocket, upstream: FakeSocket): (command: Buffer, reply: Buffer) => Promise<void> {
  let sent: () => void = () => {};
  upstream.onWrite = () => sent();
  return async (command, reply) => {
    const reached = new Promise<void>((r) => (sent = r));
    client.emit('data', command);
    await reached;
    upstream.emit('data', reply);
  };
}
