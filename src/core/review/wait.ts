import type { EventEmitter } from 'node:events';

/**
 * Resolves at the first of: `emitter` emits `id` (a change made in this
 * process), `ms` passes (time to look at the store again, for changes made by
 * another replica); rejects with the signal's reason when it aborts.
 * Every listener and timer is removed whichever way it ends.
 */
export function waitForChange(emitter: EventEmitter, id: string, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      emitter.off(id, done);
      signal.removeEventListener('abort', aborted);
      resolve();
    };
    const aborted = (): void => {
      clearTimeout(timer);
      emitter.off(id, done);
      reject(signal.reason);
    };
    const timer = setTimeout(done, ms);
    emitter.on(id, done);
    signal.addEventListener('abort', aborted, { once: true });
  });
}
