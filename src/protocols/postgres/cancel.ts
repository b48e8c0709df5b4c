import { randomInt } from 'node:crypto';
import type { DialTarget, Dialer } from '../../core/services.ts';
import type { RemoteCancels } from '../../core/session/remote-cancel.ts';
import { cancelRequest } from './codec/startup.ts';
import { sendCancel } from './upstream.ts';

/**
 * Cancel keys. Each client gets a key minted by the gateway; a CancelRequest
 * is honoured only for an exact match and then sent to the target with the
 * target's own key, so a client can cancel its own query and nobody else's.
 * A key this replica did not mint is passed to the other replicas as a keyed
 * digest (RemoteCancels); the one that minted it cancels.
 */
export interface CancelTarget {
  /** The target and the route (direct or agent) the session took; the cancel takes the same one. */
  address: DialTarget;
  processId: number;
  secretKey: number;
  /** How the session reached its target: the cancel goes the same way. */
  dialer?: Dialer | undefined;
  /** Ends a statement the gateway itself is holding (awaiting review); false when none is held. */
  cancelHeld?: () => boolean;
}

export class CancelKeys {
  readonly #byKey = new Map<string, CancelTarget>();
  readonly #byDigest = new Map<string, CancelTarget>();
  readonly #remote: RemoteCancels | undefined;

  /** `remote`: how to reach the other replicas; absent (tests, one gateway) = keys of other replicas are ignored. */
  constructor(remote?: RemoteCancels) {
    this.#remote = remote;
    // Lives as long as the gateway's event bus, which drops its handlers when it closes.
    remote?.listen((digest) => {
      const target = this.#byDigest.get(digest);
      if (target !== undefined) fire(target);
    });
  }

  /** Mints a fresh (processId, secretKey) for a client session; `release` forgets it. */
  mint(target: CancelTarget): { processId: number; secretKey: number; release(): void } {
    for (;;) {
      const processId = randomInt(1, 2 ** 31 - 1);
      const secretKey = randomInt(-(2 ** 31), 2 ** 31 - 1);
      const key = `${processId}:${secretKey}`;
      if (this.#byKey.has(key)) continue;
      this.#byKey.set(key, target);
      const digest = this.#remote?.digest(`postgres:${key}`);
      if (digest !== undefined) this.#byDigest.set(digest, target);
      return {
        processId,
        secretKey,
        release: () => {
          this.#byKey.delete(key);
          if (digest !== undefined) this.#byDigest.delete(digest);
        },
      };
    }
  }

  /** The target to cancel, or undefined when the key is not a live session's on this replica. */
  resolve(processId: number, secretKey: number): CancelTarget | undefined {
    return this.#byKey.get(`${processId}:${secretKey}`);
  }

  /**
   * A CancelRequest as a client sent it: this replica's session is cancelled
   * here, any other key goes to the other replicas. A wrong key is ignored
   * silently everywhere, as PostgreSQL does: nothing to learn from it.
   */
  cancel(processId: number, secretKey: number): void {
    const target = this.resolve(processId, secretKey);
    if (target !== undefined) fire(target);
    else this.#remote?.request(this.#remote.digest(`postgres:${processId}:${secretKey}`));
  }
}

/** A held statement is ended by the gateway; otherwise the target gets a CancelRequest with its own key. */
function fire(target: CancelTarget): void {
  if (!target.cancelHeld?.()) sendCancel(target.address, cancelRequest(target.processId, target.secretKey), target.dialer);
}
