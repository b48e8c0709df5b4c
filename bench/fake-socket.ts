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
  pause(): void {}
  resume(): void {}
}
