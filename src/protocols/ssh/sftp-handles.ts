import type { FileEvent } from '../../core/recording/types.ts';
import { fileEvent, type FileOutcome, type TransferTally } from './file-events.ts';
import { FX, FXP, PacketReader } from './sftp-packets.ts';

/** A handle the target gave for an OPEN or OPENDIR the gateway judged. */
export interface OpenHandle {
  dir: boolean;
  /** Files: whether it was opened to write (upload) — only then may WRITE use it. */
  upload: boolean;
  /** Files: whether it was opened to read (judged as a download) — only then may copy-data read from it. */
  readable: boolean;
  path: string;
  outcome?: FileOutcome;
}

/** What the gateway remembers of a request sent to the target, until its answer. */
export type Pending =
  | { kind: 'read'; offset: number; length: number; tally?: TransferTally }
  | { kind: 'open'; handle: OpenHandle }
  | { kind: 'recorded'; outcome: FileOutcome }
  | { kind: 'plain' };

/** The whole answers a target may send to a request (DATA streams, and is the relay's). */
const answerTypes: readonly number[] = [FXP.STATUS, FXP.HANDLE, FXP.NAME, FXP.ATTRS, FXP.EXTENDED_REPLY];

/**
 * The bookkeeping of one SFTP relay: requests outstanding at the target,
 * the handles it opened for judged requests (the only ones a client may use:
 * fail closed), and the file events their answers finish — a listing when
 * its handle opens, a transfer when its handle closes (or, `interrupt`, when
 * the channel goes first), a change with the target's answer. No sockets:
 * events go to `record`.
 */
export class SftpHandles {
  readonly #pending = new Map<number, Pending>();
  readonly #open = new Map<string, OpenHandle>();
  readonly #record: (event: FileEvent) => void;

  constructor(record: (event: FileEvent) => void) {
    this.#record = record;
  }

  /** Requests sent to the target and not answered yet. */
  get outstanding(): number {
    return this.#pending.size;
  }

  isOutstanding(id: number): boolean {
    return this.#pending.has(id);
  }

  sent(id: number, pending: Pending): void {
    this.#pending.set(id, pending);
  }

  /** The handle a request names; undefined when the gateway did not see the target give it. */
  get(raw: Buffer): OpenHandle | undefined {
    return this.#open.get(raw.toString('hex'));
  }

  /** Forgets a handle its client closes (the CLOSE's answer records the transfer). */
  release(raw: Buffer): void {
    this.#open.delete(raw.toString('hex'));
  }

  /** The request an answer is for, no longer outstanding; throws when the target answers a request it was not sent. */
  take(id: number): Pending {
    const pending = this.#pending.get(id);
    if (!pending) throw new Error(`an answer to request ${id}, which is not outstanding`);
    this.#pending.delete(id);
    return pending;
  }

  /**
   * A whole answer to `pending` (taken): records what it finishes and keeps
   * the handle an open returns. Throws on an answer type SFTP does not
   * give to requests, or (WardenError bad_request) on a truncated answer.
   */
  answered(pending: Pending, packet: Buffer): void {
    const type = packet[4]!;
    if (!answerTypes.includes(type)) throw new Error(`an answer of unknown type ${type}`);
    const r = new PacketReader(packet, 9);
    const failed = type === FXP.STATUS ? statusOf(r) : undefined;
    if (pending.kind === 'open') {
      const o = pending.handle.outcome!;
      if (type === FXP.HANDLE) {
        this.#open.set(r.bytes().toString('hex'), pending.handle);
        if (pending.handle.dir) this.#record(fileEvent(o));
      } else this.#record(fileEvent({ ...o, error: { code: 'target', message: failed ?? 'unexpected answer' } }));
    } else if (pending.kind === 'recorded') {
      const o = pending.outcome;
      this.#record(fileEvent(failed === undefined ? o : { ...o, error: { code: 'target', message: failed } }));
    }
  }

  /** The channel went: transfers still open (client gone, session killed) are recorded as cut short, and every handle forgotten. */
  interrupt(): void {
    for (const open of this.#open.values()) {
      if (open.outcome && !open.dir) this.#record(fileEvent({ ...open.outcome, error: { code: 'interrupted', message: 'the channel closed before the file was closed' } }));
    }
    this.#open.clear();
  }
}

/** A STATUS answer: undefined for OK, else its message (or its code when it has none). */
function statusOf(r: PacketReader): string | undefined {
  const code = r.u32();
  if (code === FX.OK) return undefined;
  const message = r.done ? '' : r.bytes().toString();
  return message || `SFTP status ${code}`;
}
