import { LineTracker } from './line-tracker.ts';

/** What the guard asks at each Enter: may this line run? (`cancel`: the user pressed Ctrl-C while it waits.) */
export type LineJudge = (line: string, uncertain: string | undefined, cancel: AbortSignal) => Promise<{ allowed: true } | { allowed: false; message: string }>;

export interface GuardPorts {
  /** Bytes on to the target's shell; false when its window is full (backpressure). */
  toTarget(b: Buffer): boolean;
  /** Resolves when the target takes bytes again after toTarget returned false. */
  drained(): Promise<void>;
  /** The client sent EOF: end the target's input, after everything queued before it. */
  endTarget(): void;
  /** Text straight to the user's terminal (and the recording), not through the target. */
  toUser(text: string): void;
  judge: LineJudge;
  pauseClient(): void;
  resumeClient(): void;
  onFullScreen?(on: boolean): void;
}

/** Typed-ahead input held while a line is judged, before the client is paused. */
const maxQueuedBytes = 64 * 1024;

/**
 * Typed-command guardrails for an interactive shell: keys go to the target as
 * they come, except Enter, which waits until the tracked line is judged.
 * Allowed → Enter is sent; blocked → Ctrl-C is sent instead (the shell drops
 * the line, whatever the cursor) and the user is told why. Input that
 * arrives while a line is judged is queued in order; a Ctrl-C in it gives up
 * a held review.
 */
export class ShellGuard {
  readonly tracker: LineTracker;
  readonly #ports: GuardPorts;
  #queue: Buffer[] = [];
  #queued = 0;
  #busy = false;
  #paused = false;
  #waiting: AbortController | undefined;
  #ended = false;

  constructor(ports: GuardPorts) {
    this.#ports = ports;
    this.tracker = new LineTracker({ onFullScreen: (on) => ports.onFullScreen?.(on) });
  }

  /** Target output, for full-screen detection. */
  output(b: Buffer): void {
    this.tracker.output(b);
  }

  /** The client's EOF: passed on once every key before it was. */
  end(): void {
    this.#ended = true;
    if (!this.#busy) this.#ports.endTarget();
  }

  /** Client keys. */
  input(b: Buffer): void {
    if (this.#waiting && b.includes(0x03)) this.#waiting.abort();
    this.#queue.push(b);
    this.#queued += b.length;
    if (this.#queued > maxQueuedBytes && !this.#paused) {
      this.#paused = true;
      this.#ports.pauseClient();
    }
    if (!this.#busy) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    try {
      for (let chunk = this.#queue.shift(); chunk !== undefined; chunk = this.#queue.shift()) {
        this.#queued -= chunk.length;
        for (const step of this.tracker.feed(chunk)) {
          if (step.kind === 'forward') await this.#send(step.bytes);
          else await this.#enter(step.bytes, step.line, step.uncertain);
        }
      }
    } finally {
      this.#busy = false;
      if (this.#ended) this.#ports.endTarget();
      if (this.#paused) {
        this.#paused = false;
        this.#ports.resumeClient();
      }
    }
  }

  async #enter(enter: Buffer, line: string, uncertain: string | undefined): Promise<void> {
    // An empty line runs nothing; judging it would only slow the prompt down.
    if (line.trim() === '' && uncertain === undefined) return this.#send(enter);
    this.#waiting = new AbortController();
    let verdict: Awaited<ReturnType<LineJudge>>;
    try {
      verdict = await this.#ports.judge(line, uncertain, this.#waiting.signal);
    } catch (err) {
      // fail closed: a line that could not be judged does not run.
      verdict = { allowed: false, message: `Warden could not judge this line (${(err as Error).message})` };
    } finally {
      this.#waiting = undefined;
    }
    if (verdict.allowed) return this.#send(enter);
    this.#ports.toUser(`\r\nwarden: ${verdict.message}\r\n`);
    await this.#send(Buffer.from([0x03]));
  }

  /** To the target, waiting while its window is full so a large paste never piles up in memory. */
  async #send(b: Buffer): Promise<void> {
    if (!this.#ports.toTarget(b)) await this.#ports.drained();
  }
}
