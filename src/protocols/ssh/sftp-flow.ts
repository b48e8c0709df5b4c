import type { ClientChannel, ServerChannel } from 'ssh2';

/** Requests outstanding at the target past which the client is paused (OpenSSH keeps about 64 in flight). */
export const maxPending = 1024;
/** Gateway answers waiting for a DATA answer to finish past which the client is paused. */
const maxInjected = 256;

/**
 * The byte side of an SFTP relay (sftp-relay.ts): batched writes to both
 * channels and who may be read.
 *
 * Bytes for either side are gathered while a pump (the handling of one
 * chunk read from a channel) runs and written once at its end: a DATA
 * head, its payload and the next answers then travel in one SSH packet
 * instead of one each (a 13-byte head alone costs a whole packet's
 * encryption and MAC). Outside a pump a write goes at once.
 *
 * Memory is bounded both ways: while one channel refuses writes (write()
 * false, until 'drain'), the channel feeding it is not read; the client is
 * not read either while the relay holds it (`holdClient`: not set up yet, a
 * decision pending, too many requests outstanding) or too many gateway
 * answers wait behind a streaming DATA answer.
 */
export class SftpFlow {
  readonly #client: ServerChannel;
  #target: ClientChannel | undefined;
  #clientOut: Buffer[] = [];
  #targetOut: Buffer[] = [];
  #clientFull = false;
  #targetFull = false;
  #pumping = false;
  /** A DATA answer's payload is streaming to the client: the gateway's own answers wait for its end. */
  #streaming = false;
  #injected: Buffer[] = [];
  #closed = false;
  readonly #holdClient: () => boolean;

  /** `holdClient`: whether the relay itself wants the client not read now. */
  constructor(client: ServerChannel, holdClient: () => boolean) {
    this.#client = client;
    this.#holdClient = holdClient;
    client.on('drain', () => {
      this.#clientFull = false;
      this.update();
    });
  }

  /** The target's channel, once open (the relay's own setup requests are written to it directly, before any pump sends). */
  attach(target: ClientChannel): void {
    this.#target = target;
    target.on('drain', () => {
      this.#targetFull = false;
      this.update();
    });
  }

  /** Writes nothing more and leaves both channels as they are. */
  close(): void {
    this.#closed = true;
  }

  /**
   * Runs one pump: what it sends is written once, at its end. When it
   * throws (malformed input), nothing it gathered is written: the relay ends
   * the channel then.
   */
  pump(work: () => void): void {
    this.#pumping = true;
    try {
      work();
    } finally {
      this.#pumping = false;
    }
    this.#flush();
  }

  toClient(b: Buffer): void {
    this.#clientOut.push(b);
    if (!this.#pumping) this.#flush();
  }

  toTarget(b: Buffer): void {
    this.#targetOut.push(b);
    if (!this.#pumping) this.#flush();
  }

  /** An answer of the gateway's own: between packets of the target's answers, never inside a streaming DATA. */
  answer(b: Buffer): void {
    if (this.#streaming) this.#injected.push(b);
    else this.toClient(b);
  }

  /** A DATA answer's payload starts (true) or ends (false) streaming; at its end the answers held meanwhile follow it. */
  streaming(on: boolean): void {
    this.#streaming = on;
    if (!on) for (const b of this.#injected.splice(0)) this.toClient(b);
  }

  /** Pauses a side whose bytes cannot go anywhere now; resumes it once they can. */
  update(): void {
    if (this.#closed) return;
    if (this.#holdClient() || this.#targetFull || this.#injected.length >= maxInjected) this.#client.pause();
    else this.#client.resume();
    if (this.#clientFull) this.#target?.pause();
    else this.#target?.resume();
  }

  #flush(): void {
    if (this.#closed) return;
    if (this.#clientOut.length > 0 && !this.#client.write(joined(this.#clientOut.splice(0)))) this.#clientFull = true;
    if (this.#targetOut.length > 0 && !this.#target!.write(joined(this.#targetOut.splice(0)))) this.#targetFull = true;
  }
}

/** One buffer for a write: the part itself when there is one (no copy), else one copy of them all. */
function joined(parts: Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
