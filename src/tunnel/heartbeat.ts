import type WebSocket from 'ws';

/**
 * Keeps watch over one end of an agent link: a ping every `intervalMs`, and
 * the link is terminated when nothing at all came from the peer for a whole
 * interval — no pong, no ping, and no message (the owner calls `heard()` for
 * each message it receives). A busy link is alive whatever happens to its
 * pongs: they queue behind data frames on a slow path.
 *
 * The verdict is given only after the input already waiting has been read:
 * timers run before libuv's poll phase, so when this process's own event loop
 * stalled past an interval (a long synchronous job, or a starved CPU), the tick
 * would otherwise find the peer's answer still unread in the socket and drop a
 * healthy link. `setImmediate` runs after that poll phase.
 *
 * `onBeat` runs at each ping (the gateway checks revocation there). The timer
 * is unref'd and stops when the WebSocket closes.
 */
export class Heartbeat {
  readonly #ws: WebSocket;
  readonly #onBeat: () => void;
  readonly #timer: NodeJS.Timeout;
  #alive = true;

  constructor(ws: WebSocket, intervalMs: number, onBeat: () => void = () => {}) {
    this.#ws = ws;
    this.#onBeat = onBeat;
    const heard = () => (this.#alive = true);
    ws.on('ping', heard);
    ws.on('pong', heard);
    this.#timer = setInterval(() => this.#tick(), intervalMs).unref();
    ws.once('close', () => this.stop());
  }

  /** Something came from the peer: it is alive. */
  heard(): void {
    this.#alive = true;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    if (this.#alive) return this.#beat();
    setImmediate(() => {
      if (this.#ws.readyState !== this.#ws.OPEN) return;
      // Silent for a whole interval even counting what was waiting: the path is dead even if TCP has not noticed.
      if (!this.#alive) return void this.#ws.terminate();
      this.#beat();
    });
  }

  #beat(): void {
    this.#alive = false;
    this.#ws.ping();
    this.#onBeat();
  }
}
