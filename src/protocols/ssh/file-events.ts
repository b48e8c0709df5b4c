import { createHash, type Hash } from 'node:crypto';
import { posix } from 'node:path';
import { directionOf, type FileOp } from '../../core/policy/files.ts';
import type { Verdict } from '../../core/policy/types.ts';
import type { FileEvent } from '../../core/recording/types.ts';
import type { ChannelContext } from './channel-context.ts';

/**
 * What SFTP and scp share: the policy decision for one file operation, the
 * tally of a transfer (bytes, streaming SHA-256) and the recorded event.
 */

/**
 * Chunks a tally may hold while an earlier one is still outstanding: OpenSSH
 * keeps up to 64 requests of 32 KiB in flight, and the SFTP relay answers in
 * completion order, so 4 MiB covers a full window of them.
 */
const reorderLimit = 4 * 1024 * 1024;

/**
 * Counts the bytes of one transfer and hashes them in file-offset order
 * from offset 0. Chunks that complete ahead of an earlier one (parallel
 * requests) wait in a bounded reorder buffer until the gap is filled. A
 * chunk that goes back (a re-read, an overwrite), repeats an offset or would
 * overflow the buffer stops the hash, as does a gap still open at the end
 * (a resumed or sparse transfer): the bytes are still counted, the event says
 * `sequential: false` and carries no sha256 rather than a wrong one.
 */
export class TransferTally {
  #hash: Hash | undefined = createHash('sha256');
  #next = 0;
  #held = new Map<number, Buffer>();
  #heldBytes = 0;
  bytes = 0;

  /** `data` is only read during the call (a held chunk is copied), so callers may reuse it. */
  pass(offset: number, data: Buffer): void {
    this.bytes += data.length;
    if (this.#hash === undefined) return;
    if (offset === this.#next) {
      this.#hash.update(data);
      this.#next += data.length;
      return this.#drain();
    }
    if (offset < this.#next || this.#held.has(offset) || this.#heldBytes + data.length > reorderLimit) return this.#stop();
    this.#held.set(offset, Buffer.from(data));
    this.#heldBytes += data.length;
  }

  /** Bytes of this file were written where the gateway could not see them (SFTP copy-data): no hash, not sequential. */
  unseen(): void {
    this.#stop();
  }

  result(): { bytes: number; sequential: boolean; sha256?: string } {
    if (this.#hash === undefined || this.#held.size > 0) return { bytes: this.bytes, sequential: false };
    // digest() ends a Hash; a copy keeps the tally readable twice.
    return { bytes: this.bytes, sequential: true, sha256: this.#hash.copy().digest('hex') };
  }

  #drain(): void {
    for (let chunk = this.#held.get(this.#next); chunk !== undefined; chunk = this.#held.get(this.#next)) {
      this.#held.delete(this.#next);
      this.#heldBytes -= chunk.length;
      this.#hash!.update(chunk);
      this.#next += chunk.length;
    }
  }

  #stop(): void {
    this.#hash = undefined;
    this.#held.clear();
    this.#heldBytes = 0;
  }
}

/** A decided file operation: allowed, or refused with the message the client is shown. */
export type FileDecision = { verdict: Verdict; refused?: string };

/**
 * Policy for one file operation. A `review` verdict refuses it: a file
 * operation cannot wait for a review inside SFTP or scp (clients time out and
 * retry), so the message says approval is required and from whom.
 */
export async function decideFile(c: ChannelContext, op: FileOp, paths: string[]): Promise<FileDecision> {
  const verdict = await c.decide({ kind: 'file', op, paths });
  if (verdict.effect === 'allow' || verdict.effect === 'mask') return { verdict };
  if (verdict.effect === 'block') return { verdict, refused: verdict.message };
  // fail closed: a review verdict is a refusal until someone grants access.
  return { verdict, refused: `${verdict.message}; Warden cannot hold a file transfer for review, so it is refused` };
}

export interface FileOutcome {
  via: FileEvent['via'];
  op: FileOp;
  paths: readonly string[];
  at: Date;
  seq: number;
  startedMs: number;
  verdict: Verdict;
  tally?: TransferTally;
  error?: FileEvent['error'];
}

export function fileEvent(o: FileOutcome): FileEvent {
  const event: FileEvent = {
    type: 'file',
    at: o.at.toISOString(),
    seq: o.seq,
    via: o.via,
    op: o.op,
    direction: directionOf(o.op),
    path: o.paths[0] ?? '',
    durationMs: Math.round((performance.now() - o.startedMs) * 1000) / 1000,
    verdict: { effect: o.verdict.effect, rules: o.verdict.rules.map((r) => r.id) },
  };
  if (o.paths.length > 1) event.to = o.paths[1]!;
  if (o.tally) Object.assign(event, o.tally.result());
  if (o.error) event.error = o.error;
  return event;
}

/** Starts an outcome: stamped now, numbered in the session's sequence. */
export function beginFile(c: ChannelContext, via: FileEvent['via'], op: FileOp, paths: readonly string[], verdict: Verdict): FileOutcome {
  return { via, op, paths, at: c.clock.now(), seq: c.nextSeq(), startedMs: performance.now(), verdict };
}

/**
 * The absolute, normalised path policy judges: relative paths are taken from
 * the login's home directory on the target (as sftp-server and scp do), `..`
 * is collapsed, a trailing slash dropped. Undefined when a relative path
 * cannot be placed (the home directory is unknown): callers refuse it
 * (fail closed). Symbolic links on the target are not followed.
 */
export function resolvePath(home: string | undefined, path: string): string | undefined {
  if (path.includes('\0')) return undefined;
  if (!path.startsWith('/') && home === undefined) return undefined;
  const abs = posix.resolve(home ?? '/', path === '' ? '.' : path);
  return abs.length > 1 && abs.endsWith('/') ? abs.slice(0, -1) : abs;
}
