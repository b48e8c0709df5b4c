import { randomInt } from 'node:crypto';
import type { DialTarget } from '../../core/services.ts';

/**
 * Cancel keys. Each client gets a key minted by the gateway; a CancelRequest
 * is honoured only for an exact match and then sent to the target with the
 * target's own key, so a client can cancel its own query and nobody else's.
 */
export interface CancelTarget {
  /** The target and the route (direct or agent) the session took; the cancel takes the same one. */
  address: DialTarget;
  processId: number;
  secretKey: number;
  /** Ends a statement the gateway itself is holding (awaiting review); false when none is held. */
  cancelHeld?: () => boolean;
}

export class CancelKeys {
  readonly #byKey = new Map<string, CancelTarget>();

  /** Mints a fresh (processId, secretKey) for a client session; `release` forgets it. */
  mint(target: CancelTarget): { processId: number; secretKey: number; release(): void } {
    for (;;) {
      const processId = randomInt(1, 2 ** 31 - 1);
      const secretKey = randomInt(-(2 ** 31), 2 ** 31 - 1);
      const key = `${processId}:${secretKey}`;
      if (this.#byKey.has(key)) continue;
      this.#byKey.set(key, target);
      return { processId, secretKey, release: () => this.#byKey.delete(key) };
    }
  }

  /** The target to cancel, or undefined when the key is not a live session's. */
  resolve(processId: number, secretKey: number): CancelTarget | undefined {
    return this.#byKey.get(`${processId}:${secretKey}`);
  }
}
