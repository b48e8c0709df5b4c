import type { SFTPWrapper } from 'ssh2';

/** The parts of ssh2's server-side SFTP channel the gate needs: its receive window and the protocol that widens it. */
interface ChannelInternals {
  push(data: Buffer | null): unknown;
  incoming: { window: number };
  outgoing: { id: number; state: string };
  _waitChanDrain?: boolean;
  _protocol: { channelWindowAdjust(id: number, amount: number): void };
}
/** ssh2's channel window (lib/Channel.js MAX_WINDOW): what a paused client may still send. */
const maxWindow = 2 * 1024 * 1024;

/**
 * Bounds what one SFTP channel holds: at most `limit` data requests (READ,
 * WRITE) outstanding at the target — the rest wait, in order — and, once
 * the caller's backlog of waiting requests is `limit` long too, the client
 * is paused: ssh2 widens a channel's window after each push() unless it
 * returns false, so a paused client can send at most what is left of one
 * window (2 MiB) until the backlog shrinks and resume() widens it again.
 * OpenSSH's clients keep about 64 requests in flight, so they are never
 * paused (pausing at the first wait instead made OpenSSH downloads through
 * bench/ssh.sh about 5x slower).
 */
export class RequestGate {
  readonly #chan: ChannelInternals;
  readonly #limit: number;
  #active = 0;
  #waiting: (() => void)[] = [];
  readonly #backlog: () => number;

  /** `backlog`: how many of the client's requests wait to be sent (the caller's queue). */
  constructor(sftp: SFTPWrapper, backlog: () => number, limit = 64) {
    this.#limit = limit;
    this.#backlog = backlog;
    const chan = sftp as unknown as ChannelInternals;
    this.#chan = chan;
    const push = chan.push.bind(chan);
    chan.push = (data) => {
      push(data);
      return this.#paused() ? false : undefined;
    };
  }

  /** Takes a slot if one is free now; the caller then owes one release(). */
  tryAcquire(): boolean {
    if (this.#full()) return false;
    this.#active++;
    return true;
  }

  /** Resolves once a slot is taken, in arrival order; the caller then owes one release(). */
  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release = (): void => {
    const next = this.#waiting.shift();
    // The slot passes straight to the next waiter.
    if (next) return next();
    this.#active--;
  };

  /** Frees every waiter (the channel is gone: their requests end without reaching the target). */
  drain(): void {
    for (const next of this.#waiting.splice(0)) next();
  }

  #full(): boolean {
    return this.#active >= this.#limit || this.#waiting.length > 0;
  }

  #paused(): boolean {
    return this.#backlog() >= this.#limit;
  }

  /** Widens the client's window again if it was paused and the backlog is below the bound; call as the backlog shrinks. */
  resume(): void {
    const chan = this.#chan;
    if (!chan._waitChanDrain || this.#paused() || chan.outgoing.state !== 'open') return;
    chan._waitChanDrain = false;
    const amount = maxWindow - chan.incoming.window;
    if (amount <= 0) return;
    chan.incoming.window += amount;
    chan._protocol.channelWindowAdjust(chan.outgoing.id, amount);
  }
}
